package dev.outbox.mysql;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.RestartableMariaDb;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testkit.history.HistoryTestBase;

/**
 * The history test on a private MariaDB server that the test may crash and restart. CI size by
 * default; a soak with {@code -Dsoak.minutes=10} (see the README's reliability section).
 *
 * <p>This test found the sequencer stalling behind an open transaction on InnoDB: a range {@code
 * DELETE} of a batch read, and waited for, the uncommitted row just past the range. The sequencer
 * now deletes each run with {@code ORDER BY position LIMIT n} on InnoDB.
 */
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
