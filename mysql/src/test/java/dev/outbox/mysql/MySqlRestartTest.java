package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.RestartConformanceTest;
import dev.outbox.testkit.database.MySqlServers;
import dev.outbox.testkit.database.TestDatabase;

@MySql8
class MySqlRestartTest extends RestartConformanceTest {
    @Override
    protected TestDatabase database() {
        return MySqlServers.mySql();
    }

    @Override
    protected OutboxDialect dialect() {
        return MySqlDialect.create();
    }
}
