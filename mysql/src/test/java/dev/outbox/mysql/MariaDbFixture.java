package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.RestartableDatabase;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testsupport.database.LiquibaseFixture;
import dev.outbox.testsupport.database.MySqlServers;
import dev.outbox.testsupport.database.RestartableMariaDb;

/** MariaDB for the conformance suites: the located server, and private ones to restart. */
public class MariaDbFixture extends LiquibaseFixture {

    @Override
    public TestDatabase database() {
        return MySqlServers.mariaDb();
    }

    @Override
    public OutboxDialect dialect() {
        return MariaDbDialect.create();
    }

    @Override
    public RestartableDatabase launchRestartableServer() {
        return RestartableMariaDb.launch();
    }
}
