package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.CHECKPOINT_SEQ;
import static dev.outbox.internal.OutboxSql.SEQ;
import static dev.outbox.internal.OutboxSql.SEQUENCED_AT;
import static org.jooq.impl.DSL.deleteFrom;
import static org.jooq.impl.DSL.min;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.select;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.jooq.Param;
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
    private final Param<Long> fromSeq = param("from_seq", Long.class);
    private final Param<Long> toSeq = param("to_seq", Long.class);
    private final Param<Long> minusRetention = param("minus_retention_ms", Long.class);
    private final Statement lowestCheckpoint;
    private final Statement deleteRetained;
    private long lastRunNanos;
    private boolean ranOnce;

    Retention(RelayContext context) {
        this.context = context;
        OutboxSql sql = context.sql;
        lowestCheckpoint = sql.render(select(min(CHECKPOINT_SEQ)).from(sql.consumer));
        // A bounded range of the primary key, and only rows older than the retention period:
        // seq and sequenced_at grow together, so this deletes a prefix of the range.
        deleteRetained = sql.render(deleteFrom(sql.log)
                .where(SEQ.between(fromSeq, toSeq))
                .and(SEQUENCED_AT.lt(sql.nowPlus(minusRetention))));
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(lowestCheckpoint, deleteRetained);
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
        long[] bounds = context.withConnection(connection ->
                new long[] {context.consumers.lowestRetainedSeq(connection), lowestCheckpoint(connection)});
        long from = bounds[0];
        long passedByAll = bounds[1];
        long deleted = 0;
        for (int round = 0; round < DELETES_PER_RUN && from <= passedByAll; round++) {
            long first = from;
            long last = Math.min(passedByAll, from + ROWS_PER_DELETE - 1);
            // Each bounded delete is a relay transaction of its own: READ COMMITTED keeps InnoDB
            // from gap-locking the end of the log, where the sequencer inserts.
            int count = context.inTransaction(connection -> {
                try (Statement.Bound delete = deleteRetained
                        .bind(connection)
                        .setLong(fromSeq, first)
                        .setLong(toSeq, last)
                        .setLong(minusRetention, -retention.toMillis())) {
                    return delete.executeUpdate();
                }
            });
            deleted += count;
            if (count < last - first + 1) {
                break; // the rest of the range is younger than the retention period
            }
            from = last + 1;
        }
        if (deleted > 0) {
            LOG.debug("retention deleted {} log entries", deleted);
        }
    }

    /** The lowest checkpoint of all consumers: no consumer needs entries up to it. */
    private long lowestCheckpoint(Connection connection) throws SQLException {
        try (Statement.Bound select = lowestCheckpoint.bind(connection);
                ResultSet rs = select.executeQuery()) {
            rs.next();
            long lowest = rs.getLong(1);
            return rs.wasNull() ? Long.MAX_VALUE : lowest;
        }
    }
}
