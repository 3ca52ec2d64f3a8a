package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.MySqlServers;
import dev.outbox.testkit.database.MySqlTestDatabase;

class MariaDbServerBehaviourTest extends ServerBehaviourTestBase {
    @Override
    protected MySqlTestDatabase mySqlDatabase() {
        return MySqlServers.mariaDb();
    }

    @Override
    protected OutboxDialect dialect() {
        return MariaDbDialect.create();
    }
}
