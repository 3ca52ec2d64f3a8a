package dev.outbox.kafka.connect;

class MariaDbConnectorHistoryTest extends ConnectorHistoryTestBase {

    @Override
    protected TestDatabases database() {
        return TestDatabases.MARIADB;
    }
}
