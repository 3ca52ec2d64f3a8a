package dev.outbox.opentelemetry;

class MariaDbOutboxTracingTest extends OutboxTracingTest {
    @Override
    protected TestDatabases database() {
        return TestDatabases.MARIADB;
    }
}
