package dev.outbox.spring;

import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testsupport.database.PostgresServers;

class PostgresJpaOrderingTest extends JpaOrderingTest {
    @Override
    TestDatabase database() {
        return PostgresServers.locate();
    }
}
