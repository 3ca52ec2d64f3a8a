package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.ResilienceConformanceTest;
import dev.outbox.testkit.database.MySqlServers;
import dev.outbox.testkit.database.TestDatabase;

@MySql8
class MySqlResilienceTest extends ResilienceConformanceTest {
    @Override
    protected TestDatabase database() {
        return MySqlServers.mySql();
    }

    @Override
    protected OutboxDialect dialect() {
        return MySqlDialect.create();
    }
}
