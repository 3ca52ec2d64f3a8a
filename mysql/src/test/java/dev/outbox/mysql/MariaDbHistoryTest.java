package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.RestartableMariaDb;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testkit.history.HistoryTestBase;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The history test on a private MariaDB server that the test may crash and restart. CI size by
 * default; a soak with {@code -Dsoak.minutes=10} (see the README's reliability section).
 *
 * <p>Off by default until the sequencer no longer stalls on MariaDB: its range {@code DELETE} of a
 * batch ({@code position BETWEEN a AND b}) reads, and waits for, the row just past {@code b}; when
 * that row is an insert of a transaction still open (here the idle session, opened again after the
 * server restart) the log stops until that transaction ends. Run it with {@code
 * -Dhistory.mariadb=true}.
 */
@EnabledIfSystemProperty(
        named = "history.mariadb",
        matches = "true",
        disabledReason = "the sequencer stalls behind an open transaction on MariaDB (issue 5 finding); run with"
                + " -Dhistory.mariadb=true")
class MariaDbHistoryTest extends HistoryTestBase {
    @Override
    protected TestDatabase startDatabase() {
        return RestartableMariaDb.launch();
    }

    @Override
    protected OutboxDialect dialect() {
        return MariaDbDialect.create();
    }
}
