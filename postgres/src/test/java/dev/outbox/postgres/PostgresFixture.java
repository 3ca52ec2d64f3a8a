package dev.outbox.postgres;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.RestartableDatabase;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testsupport.database.LiquibaseFixture;
import dev.outbox.testsupport.database.PostgresServers;
import dev.outbox.testsupport.database.RestartablePostgres;

/** PostgreSQL for the conformance suites: the located server, and private ones to restart. */
public class PostgresFixture extends LiquibaseFixture {

    @Override
    public TestDatabase database() {
        return PostgresServers.locate();
    }

    @Override
    public OutboxDialect dialect() {
        return PostgresDialect.create();
    }

    @Override
    public RestartableDatabase launchRestartableServer() {
        return RestartablePostgres.launch();
    }
}
