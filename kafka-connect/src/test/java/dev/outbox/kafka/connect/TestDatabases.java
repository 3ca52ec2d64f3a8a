package dev.outbox.kafka.connect;

import dev.outbox.mysql.MariaDbDialect;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testsupport.database.MySqlServers;
import dev.outbox.testsupport.database.PostgresServers;
import java.util.function.Supplier;

/** The databases the connector's tests run on, each found as the conformance suites find it. */
enum TestDatabases {
    POSTGRESQL(PostgresServers::locate, PostgresDialect::create),
    MARIADB(MySqlServers::mariaDb, MariaDbDialect::create);

    private final Supplier<TestDatabase> server;
    private final Supplier<OutboxDialect> dialect;

    TestDatabases(Supplier<TestDatabase> server, Supplier<OutboxDialect> dialect) {
        this.server = server;
        this.dialect = dialect;
    }

    TestDatabase server() {
        return server.get();
    }

    OutboxDialect dialect() {
        return dialect.get();
    }
}
