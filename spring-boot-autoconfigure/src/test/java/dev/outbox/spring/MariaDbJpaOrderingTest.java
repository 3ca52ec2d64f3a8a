package dev.outbox.spring;

import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testsupport.database.MySqlServers;

class MariaDbJpaOrderingTest extends JpaOrderingTest {
    @Override
    TestDatabase database() {
        return MySqlServers.mariaDb();
    }
}
