package dev.outbox.micrometer;

class PostgresOutboxMetricsTest extends OutboxMetricsTest {
    @Override
    protected TestDatabases database() {
        return TestDatabases.POSTGRESQL;
    }
}
