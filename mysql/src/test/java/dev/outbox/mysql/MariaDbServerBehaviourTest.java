package dev.outbox.mysql;

import dev.outbox.testkit.conformance.ConformanceFixture;
import dev.outbox.testsupport.database.MySqlServers;
import dev.outbox.testsupport.database.MySqlTestDatabase;

@ConformanceFixture(MariaDbFixture.class)
class MariaDbServerBehaviourTest extends ServerBehaviourTestBase {
    @Override
    protected MySqlTestDatabase mySqlDatabase() {
        return MySqlServers.mariaDb();
    }
}
