package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.WakeUpConformanceTest;
import dev.outbox.testkit.database.MySqlServers;
import dev.outbox.testkit.database.TestDatabase;

class MariaDbWakeUpTest extends WakeUpConformanceTest {
    @Override
    protected TestDatabase database() {
        return MySqlServers.mariaDb();
    }

    @Override
    protected OutboxDialect dialect() {
        return MariaDbDialect.create();
    }
}
