package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.HandlerFailureConformanceTest;
import dev.outbox.testkit.database.MySqlServers;
import dev.outbox.testkit.database.TestDatabase;

class MariaDbHandlerFailureTest extends HandlerFailureConformanceTest {
    @Override
    protected TestDatabase database() {
        return MySqlServers.mariaDb();
    }

    @Override
    protected OutboxDialect dialect() {
        return MariaDbDialect.create();
    }
}
