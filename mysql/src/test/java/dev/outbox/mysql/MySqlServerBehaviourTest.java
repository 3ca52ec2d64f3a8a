package dev.outbox.mysql;

import dev.outbox.testkit.conformance.ConformanceFixture;
import dev.outbox.testsupport.database.MySqlServers;
import dev.outbox.testsupport.database.MySqlTestDatabase;

@MySql8
@ConformanceFixture(MySqlFixture.class)
class MySqlServerBehaviourTest extends ServerBehaviourTestBase {
    @Override
    protected MySqlTestDatabase mySqlDatabase() {
        return MySqlServers.mySql();
    }
}
