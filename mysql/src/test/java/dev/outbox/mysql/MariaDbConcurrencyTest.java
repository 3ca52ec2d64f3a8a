package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.ConcurrencyConformanceTest;
import dev.outbox.testkit.database.MySqlServers;
import dev.outbox.testkit.database.TestDatabase;

class MariaDbConcurrencyTest extends ConcurrencyConformanceTest {
    @Override
    protected TestDatabase database() {
        return MySqlServers.mariaDb();
    }

    @Override
    protected OutboxDialect dialect() {
        return MariaDbDialect.create();
    }
}
