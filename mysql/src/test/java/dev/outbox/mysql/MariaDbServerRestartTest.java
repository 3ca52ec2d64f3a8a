package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.ServerRestartConformanceTest;
import dev.outbox.testkit.database.RestartableDatabase;
import dev.outbox.testkit.database.RestartableMariaDb;

class MariaDbServerRestartTest extends ServerRestartConformanceTest {
    @Override
    protected RestartableDatabase launchServer() {
        return RestartableMariaDb.launch();
    }

    @Override
    protected OutboxDialect dialect() {
        return MariaDbDialect.create();
    }
}
