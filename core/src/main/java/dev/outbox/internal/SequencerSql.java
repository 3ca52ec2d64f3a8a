package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.AGGREGATE_ID;
import static dev.outbox.internal.OutboxSql.AGGREGATE_TYPE;
import static dev.outbox.internal.OutboxSql.CREATED_AT;
import static dev.outbox.internal.OutboxSql.EPOCH;
import static dev.outbox.internal.OutboxSql.EVENT_ID;
import static dev.outbox.internal.OutboxSql.EVENT_TYPE;
import static dev.outbox.internal.OutboxSql.HEADERS;
import static dev.outbox.internal.OutboxSql.HEARTBEAT_AT;
import static dev.outbox.internal.OutboxSql.HOLDER;
import static dev.outbox.internal.OutboxSql.KEY_HASH;
import static dev.outbox.internal.OutboxSql.LEASE_UNTIL;
import static dev.outbox.internal.OutboxSql.NAME;
import static dev.outbox.internal.OutboxSql.NEXT_SEQ;
import static dev.outbox.internal.OutboxSql.NULL_STRING;
import static dev.outbox.internal.OutboxSql.NULL_TIME;
import static dev.outbox.internal.OutboxSql.PAYLOAD;
import static dev.outbox.internal.OutboxSql.POSITION;
import static dev.outbox.internal.OutboxSql.SEQ;
import static dev.outbox.internal.OutboxSql.SEQUENCED_AT;
import static dev.outbox.internal.OutboxSql.SEQUENCER_NAME;
import static org.jooq.impl.DSL.deleteFrom;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.insertInto;
import static org.jooq.impl.DSL.noCondition;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.rowNumber;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.update;
import static org.jooq.impl.DSL.when;

import dev.outbox.spi.Notifications;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jooq.CaseConditionStep;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.Param;
import org.jooq.Record;
import org.jooq.Table;
import org.jspecify.annotations.Nullable;

/**
 * The sequencer's statements, each built, bound and run in one method: the lock on the sequencer
 * row, the batch read, the move into the log, the delete from the queue, and the lease on top.
 * Rendered once per relay, except the move and the delete, which name each batch's positions.
 * Thread-safe; the methods run on the caller's connection.
 */
final class SequencerSql {

    /** What the sequencer row holds for the relay that locked it. */
    record Locked(long nextSeq, @Nullable String holder, long epoch) {}

    /** What the sequencer row says to a relay that wants to take the lease. */
    record Holder(
            @Nullable String holder,
            long epoch,
            boolean expired,
            @Nullable Instant leaseUntil) {}

    /** Above this many runs of consecutive positions in a batch, {@link #seqOf} numbers rows by sorting. */
    static final int MAX_RUNS_RANKED_BY_POSITION = 16;

    private final OutboxSql sql;
    private final Param<Long> leaseMillis = param("lease_ms", Long.class);
    private final Param<Integer> batch = param("batch", Integer.class);
    private final Param<Long> first = param("first", Long.class);
    private final Param<Long> last = param("last", Long.class);
    private final Param<Integer> count = param("count", Integer.class);
    private final Param<Long> nextSeq = param("next_seq", Long.class);
    private final Param<Long> firstSeq = param("first_seq", Long.class);
    private final Param<String> holder = param("holder", String.class);
    private final Param<Long> epoch = param("epoch", Long.class);

    private final Statement probeQueue;
    private final Statement lock;
    private final Statement queuedPositions;
    private final Statement deleteRun;
    private final Statement advance;
    private final Statement lockForTakeover;
    private final Statement peekHolder;
    private final Statement takeOver;
    private final Statement renew;
    private final Statement release;

    SequencerSql(OutboxSql sql) {
        this.sql = sql;
        Table<Record> event = sql.event;
        Table<Record> sequencer = sql.sequencer;
        Condition theRow = NAME.eq(inline(SEQUENCER_NAME));
        Field<OffsetDateTime> leaseEnd = sql.nowPlus(leaseMillis);

        // A cheap emptiness check before taking the sequencer lock: one index probe on the primary key.
        probeQueue = sql.render(select(POSITION).from(event).orderBy(POSITION).limit(inline(1)));

        // The lock that serializes sequencer transactions: every batch locks this one row first, so
        // batches commit one after the other and seq is gap-free and prefix-visible.
        lock = sql.render(
                select(NEXT_SEQ, HOLDER, EPOCH).from(sequencer).where(theRow).forUpdate());

        // The batch: ONE plain (non-locking) read, so one snapshot. A locking read would wait on
        // in-flight inserts; a second read could see rows that committed in between. Uses the
        // primary key index of the queue.
        queuedPositions =
                sql.render(select(POSITION).from(event).orderBy(POSITION).limit(batch));

        // For databases whose locking range scans read past their end (InnoDB): one run of
        // consecutive positions; LIMIT stops the scan at the run's last row, so it never reads, and
        // never waits for, the row after it, which may be another transaction's uncommitted insert.
        deleteRun = sql.render(deleteFrom(event)
                .where(POSITION.between(first, last))
                .orderBy(POSITION)
                .limit(count));

        advance = sql.render(update(sequencer)
                .set(NEXT_SEQ, nextSeq)
                .set(LEASE_UNTIL, leaseEnd)
                .set(HEARTBEAT_AT, sql.now())
                .where(theRow));

        // SKIP LOCKED: a row locked by the sequencing relay's batch means that relay is alive.
        Field<Integer> expired = when(LEASE_UNTIL.isNull().or(LEASE_UNTIL.lt(sql.now())), inline(1))
                .otherwise(inline(0));
        var holderRow =
                select(HOLDER, EPOCH, expired, LEASE_UNTIL).from(sequencer).where(theRow);
        lockForTakeover = sql.render(holderRow.forUpdate().skipLocked());
        // A standby's look before it opens a takeover transaction: whether the lease is live.
        peekHolder = sql.render(holderRow);

        takeOver = sql.render(update(sequencer)
                .set(HOLDER, holder)
                .set(EPOCH, epoch)
                .set(LEASE_UNTIL, leaseEnd)
                .set(HEARTBEAT_AT, sql.now())
                .where(theRow));

        renew = sql.render(update(sequencer)
                .set(LEASE_UNTIL, leaseEnd)
                .set(HEARTBEAT_AT, sql.now())
                .where(theRow)
                .and(HOLDER.eq(holder))
                .and(EPOCH.eq(epoch)));

        release = sql.render(update(sequencer)
                .set(HOLDER, NULL_STRING)
                .set(LEASE_UNTIL, NULL_TIME)
                .where(theRow)
                .and(HOLDER.eq(holder))
                .and(EPOCH.eq(epoch)));
    }

    /** Whether the queue looks empty (a plain read, outside the batch's transaction). */
    boolean queueLooksEmpty(Connection connection) throws SQLException {
        try (Statement.Bound probe = probeQueue.bind(connection);
                ResultSet rs = probe.executeQuery()) {
            return !rs.next();
        }
    }

    /** Locks the sequencer row for the rest of the transaction. */
    Locked lock(Connection connection) throws SQLException {
        try (Statement.Bound select = lock.bind(connection);
                ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
                throw new IllegalStateException("the sequencer row is missing: run the migration");
            }
            return new Locked(rs.getLong(1), rs.getString(2), rs.getLong(3));
        }
    }

    /** The positions of up to {@code limit} visible queued events, in position order. */
    long[] queuedPositions(Connection connection, int limit) throws SQLException {
        try (Statement.Bound select = queuedPositions.bind(connection).setInt(batch, limit)) {
            select.statement().setFetchSize(limit);
            long[] positions = new long[limit];
            int found = 0;
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    positions[found++] = rs.getLong(1);
                }
            }
            return found == limit ? positions : Arrays.copyOf(positions, found);
        }
    }

    /**
     * Copies the queued rows at exactly the positions of {@code runs} ({@link #runs}) into the log
     * with {@code seq = startSeq, startSeq + 1, ...} in position order; returns how many were
     * copied. The rows are named, never chosen by a second read of the queue: a row that committed
     * after the batch was read stays queued for the next batch.
     */
    int moveToLog(Connection connection, List<long[]> runs, long startSeq) throws SQLException {
        try (Statement.Bound insert = move(runs).bind(connection).setLong(firstSeq, startSeq)) {
            return insert.executeUpdate();
        }
    }

    /** The move of exactly the positions of {@code runs}, rendered for this batch. */
    Statement move(List<long[]> runs) {
        return sql.render(insertInto(
                        sql.log,
                        List.of(
                                SEQ,
                                POSITION,
                                EVENT_ID,
                                AGGREGATE_TYPE,
                                AGGREGATE_ID,
                                KEY_HASH,
                                EVENT_TYPE,
                                PAYLOAD,
                                HEADERS,
                                CREATED_AT,
                                SEQUENCED_AT))
                .select(select(
                                seqOf(runs),
                                POSITION,
                                EVENT_ID,
                                AGGREGATE_TYPE,
                                AGGREGATE_ID,
                                KEY_HASH,
                                EVENT_TYPE,
                                PAYLOAD,
                                HEADERS,
                                CREATED_AT,
                                sql.dialect().currentTime())
                        .from(sql.event)
                        .where(positionsIn(runs))));
    }

    /**
     * The seq of each moved row: {@code first_seq} plus the row's rank in the batch, whose
     * positions are {@code runs} ({@link #runs}). A batch of up to {@value #MAX_RUNS_RANKED_BY_POSITION} runs of consecutive positions (the
     * usual case: positions are taken in commit order but for the odd rollback or slow writer) gets
     * the rank from the position itself, {@code position - (run's first - positions before the
     * run)}, one {@code CASE} branch per run; a batch of more runs gets it from {@code ROW_NUMBER()
     * OVER (ORDER BY position)}, which InnoDB computes by copying the batch into a temporary table
     * and sorting it (moving 5,000-row runs on MariaDB was 1.2x faster without it).
     */
    Field<Long> seqOf(List<long[]> runs) {
        if (runs.size() > MAX_RUNS_RANKED_BY_POSITION) {
            return firstSeq.plus(rowNumber().over().orderBy(POSITION)).minus(inline(1L));
        }
        if (runs.size() == 1) {
            return firstSeq.plus(POSITION.minus(inline(runs.get(0)[0])));
        }
        CaseConditionStep<Long> rank = null;
        long before = 0;
        for (long[] run : runs) {
            Condition inRun =
                    run[0] == run[1] ? POSITION.eq(inline(run[0])) : POSITION.between(inline(run[0]), inline(run[1]));
            Field<Long> rankInRun = POSITION.minus(inline(run[0] - before));
            rank = rank == null ? when(inRun, rankInRun) : rank.when(inRun, rankInRun);
            before += run[1] - run[0] + 1;
        }
        return firstSeq.plus(rank);
    }

    /** The delete of exactly the positions of {@code runs}, rendered for this batch. */
    Statement delete(List<long[]> runs) {
        return sql.render(deleteFrom(sql.event).where(positionsIn(runs)));
    }

    /**
     * Deletes the queued rows at exactly the positions of {@code runs}; returns how many were deleted. Where a
     * locking range scan reads past its end ({@link
     * dev.outbox.spi.OutboxDialect#lockingRangeScansReadPastTheirEnd()}), each run of consecutive
     * positions is deleted with a statement that stops at the run's last row.
     */
    int deleteFromQueue(Connection connection, List<long[]> runs) throws SQLException {
        if (!sql.dialect().lockingRangeScansReadPastTheirEnd()) {
            try (Statement.Bound bound = delete(runs).bind(connection)) {
                return bound.executeUpdate();
            }
        }
        int deleted = 0;
        try (Statement.Bound delete = deleteRun.bind(connection)) {
            for (long[] run : runs) {
                delete.setLong(first, run[0])
                        .setLong(last, run[1])
                        .setInt(count, (int) (run[1] - run[0] + 1))
                        .statement()
                        .addBatch();
            }
            for (int deletedByRun : delete.statement().executeBatch()) {
                deleted += deletedByRun;
            }
        }
        return deleted;
    }

    /** Advances {@code next_seq} past the batch and renews the lease. */
    void advance(Connection connection, long newNextSeq, long leaseMs) throws SQLException {
        try (Statement.Bound update =
                advance.bind(connection).setLong(nextSeq, newNextSeq).setLong(leaseMillis, leaseMs)) {
            update.executeUpdate();
        }
    }

    /** Sends the "log" notification with the batch, where the dialect has notifications. */
    void notifyConsumers(Connection connection, Notifications notifications) throws SQLException {
        try (PreparedStatement notify = connection.prepareStatement(notifications.notifySql())) {
            notify.setString(1, LocalWakeups.channel(sql.tables()));
            notify.setString(2, "log");
            notify.execute();
        }
    }

    /** Locks the row to take the lease over; {@code null} if the sequencing relay's batch holds it. */
    @Nullable
    Holder lockForTakeover(Connection connection) throws SQLException {
        return readHolder(lockForTakeover, connection);
    }

    /** The row as last committed, without locking it; {@code null} if it is missing. */
    @Nullable
    Holder peekHolder(Connection connection) throws SQLException {
        return readHolder(peekHolder, connection);
    }

    private @Nullable Holder readHolder(Statement statement, Connection connection) throws SQLException {
        try (Statement.Bound select = statement.bind(connection);
                ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            Instant until = rs.getObject(4) == null ? null : sql.dialect().readInstant(rs, 4);
            return new Holder(rs.getString(1), rs.getLong(2), rs.getInt(3) == 1, until);
        }
    }

    void takeOver(Connection connection, String relayId, long newEpoch, long leaseMs) throws SQLException {
        try (Statement.Bound update = takeOver.bind(connection)
                .setString(holder, relayId)
                .setLong(epoch, newEpoch)
                .setLong(leaseMillis, leaseMs)) {
            update.executeUpdate();
        }
    }

    /** Extends the lease; {@code false} if another relay holds it now. */
    boolean renew(Connection connection, String relayId, long heldEpoch, long leaseMs) throws SQLException {
        try (Statement.Bound update = renew.bind(connection)
                .setString(holder, relayId)
                .setLong(epoch, heldEpoch)
                .setLong(leaseMillis, leaseMs)) {
            return update.executeUpdate() == 1;
        }
    }

    void release(Connection connection, String relayId, long heldEpoch) throws SQLException {
        try (Statement.Bound update =
                release.bind(connection).setString(holder, relayId).setLong(epoch, heldEpoch)) {
            update.executeUpdate();
        }
    }

    /** The fixed statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(
                probeQueue,
                lock,
                queuedPositions,
                deleteRun,
                advance,
                lockForTakeover,
                takeOver,
                renew,
                release,
                peekHolder);
    }

    /**
     * A condition that matches exactly the positions of {@code runs} ({@link #runs}): each run of
     * consecutive positions as one {@code BETWEEN} (no other position can lie inside a run), single ones in an
     * {@code IN} list. Under normal load the batch is one or a few runs, so the statement is a range
     * scan of the primary key.
     */
    static Condition positionsIn(List<long[]> runs) {
        Condition condition = noCondition();
        List<Field<Long>> singles = new ArrayList<>();
        for (long[] run : runs) {
            if (run[0] == run[1]) {
                singles.add(inline(run[0]));
            } else {
                condition = condition.or(POSITION.between(inline(run[0]), inline(run[1])));
            }
        }
        if (!singles.isEmpty()) {
            condition = condition.or(POSITION.in(singles));
        }
        return condition;
    }

    /** The runs of consecutive values of ascending {@code positions}, as {first, last} pairs. */
    static List<long[]> runs(long[] positions) {
        List<long[]> runs = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= positions.length; i++) {
            if (i == positions.length || positions[i] != positions[i - 1] + 1) {
                runs.add(new long[] {positions[start], positions[i - 1]});
                start = i;
            }
        }
        return runs;
    }
}
