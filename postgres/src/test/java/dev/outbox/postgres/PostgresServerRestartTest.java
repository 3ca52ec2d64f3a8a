package dev.outbox.postgres;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.ServerRestartConformanceTest;
import dev.outbox.testkit.database.RestartableDatabase;
import dev.outbox.testkit.database.RestartablePostgres;

class PostgresServerRestartTest extends ServerRestartConformanceTest {
    @Override
    protected RestartableDatabase launchServer() {
        return RestartablePostgres.launch();
    }

    @Override
    protected OutboxDialect dialect() {
        return PostgresDialect.create();
    }
}
