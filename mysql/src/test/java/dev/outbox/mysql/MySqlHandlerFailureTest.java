package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.HandlerFailureConformanceTest;
import dev.outbox.testkit.database.MySqlServers;
import dev.outbox.testkit.database.TestDatabase;

@MySql8
class MySqlHandlerFailureTest extends HandlerFailureConformanceTest {
    @Override
    protected TestDatabase database() {
        return MySqlServers.mySql();
    }

    @Override
    protected OutboxDialect dialect() {
        return MySqlDialect.create();
    }
}
