package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.FailurePolicyConformanceTest;
import dev.outbox.testkit.database.MySqlServers;
import dev.outbox.testkit.database.TestDatabase;

@MySql8
class MySqlFailurePolicyTest extends FailurePolicyConformanceTest {
    @Override
    protected TestDatabase database() {
        return MySqlServers.mySql();
    }

    @Override
    protected OutboxDialect dialect() {
        return MySqlDialect.create();
    }
}
