package dev.outbox.kafka;

class MariaDbPublisherHistoryTest extends PublisherHistoryTestBase {
    @Override
    protected TestDatabases database() {
        return TestDatabases.MARIADB;
    }
}
