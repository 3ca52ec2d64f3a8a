package dev.outbox.kafka.connect;

class MariaDbConnectorTest extends ConnectorTestBase {

    @Override
    protected TestDatabases database() {
        return TestDatabases.MARIADB;
    }
}
