package dev.outbox.kafka;

class PostgresKafkaPublisherTest extends KafkaPublisherTest {
    @Override
    protected TestDatabases database() {
        return TestDatabases.POSTGRESQL;
    }
}
