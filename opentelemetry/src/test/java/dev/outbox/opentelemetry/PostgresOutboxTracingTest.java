package dev.outbox.opentelemetry;

class PostgresOutboxTracingTest extends OutboxTracingTest {
    @Override
    protected TestDatabases database() {
        return TestDatabases.POSTGRESQL;
    }
}
