package dev.outbox.micrometer;

class MariaDbOutboxMetricsTest extends OutboxMetricsTest {
    @Override
    protected TestDatabases database() {
        return TestDatabases.MARIADB;
    }
}
