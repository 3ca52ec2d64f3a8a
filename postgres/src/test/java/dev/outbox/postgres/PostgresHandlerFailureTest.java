package dev.outbox.postgres;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.HandlerFailureConformanceTest;
import dev.outbox.testkit.database.PostgresServers;
import dev.outbox.testkit.database.TestDatabase;

class PostgresHandlerFailureTest extends HandlerFailureConformanceTest {
    @Override
    protected TestDatabase database() {
        return PostgresServers.locate();
    }

    @Override
    protected OutboxDialect dialect() {
        return PostgresDialect.create();
    }
}
