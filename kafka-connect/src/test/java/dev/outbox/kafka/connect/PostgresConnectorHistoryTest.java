package dev.outbox.kafka.connect;

class PostgresConnectorHistoryTest extends ConnectorHistoryTestBase {

    @Override
    protected TestDatabases database() {
        return TestDatabases.POSTGRESQL;
    }
}
