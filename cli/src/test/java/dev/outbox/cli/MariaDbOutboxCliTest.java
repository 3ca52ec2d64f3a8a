package dev.outbox.cli;

class MariaDbOutboxCliTest extends OutboxCliTest {
    @Override
    protected TestDatabases database() {
        return TestDatabases.MARIADB;
    }
}
