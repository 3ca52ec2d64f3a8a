package dev.outbox.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes log entries that every consumer has passed and that are older than the retention period,
 * in bounded batches: each delete is one short range of the primary key, so it holds its locks only
 * briefly and never blocks the sequencer or the consumers for long. Run by the sequencing relay.
 */
final class Retention {

    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    /** Rows per delete statement. */
    static final int ROWS_PER_DELETE = 5_000;

    /** Delete statements per run, so one run takes bounded time; the next run goes on. */
    static final int DELETES_PER_RUN = 20;

    private final RelayContext context;
    private long lastRunNanos;
    private boolean ranOnce;

    Retention(RelayContext context) {
        this.context = context;
    }

    /** Deletes expired entries if retention is on and the interval has passed since the last run. */
    void runIfDue() throws SQLException {
        Duration retention = context.options.logRetention();
        if (retention == null) {
            return; // event-store mode
        }
        long now = System.nanoTime();
        if (ranOnce && now - lastRunNanos < context.options.retentionInterval().toNanos()) {
            return;
        }
        ranOnce = true;
        lastRunNanos = now;
        long deleted = context.withConnection(connection -> {
            long passedByAll = lowestCheckpoint(connection);
            long from = context.lowestRetainedSeq(connection);
            long total = 0;
            for (int round = 0; round < DELETES_PER_RUN && from <= passedByAll; round++) {
                long to = Math.min(passedByAll, from + ROWS_PER_DELETE - 1);
                int count;
                try (NamedSql.Bound delete = context.ops.deleteRetained.prepare(connection)) {
                    count = delete.set("from_seq", from)
                            .set("to_seq", to)
                            .set("minus_retention_ms", -retention.toMillis())
                            .statement()
                            .executeUpdate();
                }
                total += count;
                if (count < to - from + 1) {
                    break; // the rest of the range is younger than the retention period
                }
                from = to + 1;
            }
            return total;
        });
        if (deleted > 0) {
            LOG.debug("retention deleted {} log entries", deleted);
        }
    }

    /** The lowest checkpoint of all consumers: no consumer needs entries up to it. */
    private long lowestCheckpoint(java.sql.Connection connection) throws SQLException {
        try (NamedSql.Bound select = context.ops.lowestCheckpoint.prepare(connection);
                ResultSet rs = select.statement().executeQuery()) {
            rs.next();
            long lowest = rs.getLong(1);
            return rs.wasNull() ? Long.MAX_VALUE : lowest;
        }
    }
}
