package dev.outbox.postgres;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.RestartablePostgres;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testkit.history.HistoryTestBase;

/**
 * The history test on a private PostgreSQL server that the test may crash and restart. CI size by
 * default; a soak with {@code -Dsoak.minutes=10} (see the README's reliability section).
 */
class PostgresHistoryTest extends HistoryTestBase {
    @Override
    protected TestDatabase startDatabase() {
        return RestartablePostgres.launch();
    }

    @Override
    protected OutboxDialect dialect() {
        return PostgresDialect.create();
    }
}
