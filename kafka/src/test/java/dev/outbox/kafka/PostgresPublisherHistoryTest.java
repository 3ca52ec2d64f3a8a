package dev.outbox.kafka;

class PostgresPublisherHistoryTest extends PublisherHistoryTestBase {
    @Override
    protected TestDatabases database() {
        return TestDatabases.POSTGRESQL;
    }
}
