package dev.outbox.kafka;

class MariaDbKafkaPublisherTest extends KafkaPublisherTest {
    @Override
    protected TestDatabases database() {
        return TestDatabases.MARIADB;
    }
}
