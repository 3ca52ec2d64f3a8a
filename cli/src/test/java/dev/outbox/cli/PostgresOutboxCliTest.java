package dev.outbox.cli;

class PostgresOutboxCliTest extends OutboxCliTest {
    @Override
    protected TestDatabases database() {
        return TestDatabases.POSTGRESQL;
    }
}
