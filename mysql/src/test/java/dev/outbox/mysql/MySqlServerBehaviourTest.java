package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.MySqlServers;
import dev.outbox.testkit.database.MySqlTestDatabase;

@MySql8
class MySqlServerBehaviourTest extends ServerBehaviourTestBase {
    @Override
    protected MySqlTestDatabase mySqlDatabase() {
        return MySqlServers.mySql();
    }

    @Override
    protected OutboxDialect dialect() {
        return MySqlDialect.create();
    }
}
