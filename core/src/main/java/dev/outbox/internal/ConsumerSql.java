package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.AGGREGATE_ID;
import static dev.outbox.internal.OutboxSql.AGGREGATE_TYPE;
import static dev.outbox.internal.OutboxSql.BLOCKED_SEQ;
import static dev.outbox.internal.OutboxSql.CHECKPOINT_SEQ;
import static dev.outbox.internal.OutboxSql.CREATED_AT;
import static dev.outbox.internal.OutboxSql.EPOCH;
import static dev.outbox.internal.OutboxSql.EVENT_ID;
import static dev.outbox.internal.OutboxSql.EVENT_TYPE;
import static dev.outbox.internal.OutboxSql.HEADERS;
import static dev.outbox.internal.OutboxSql.KEY_HASH;
import static dev.outbox.internal.OutboxSql.LAST_ERROR;
import static dev.outbox.internal.OutboxSql.LAST_ERROR_AT;
import static dev.outbox.internal.OutboxSql.LEASE_UNTIL;
import static dev.outbox.internal.OutboxSql.NAME;
import static dev.outbox.internal.OutboxSql.NEXT_SEQ;
import static dev.outbox.internal.OutboxSql.NULL_LONG;
import static dev.outbox.internal.OutboxSql.NULL_STRING;
import static dev.outbox.internal.OutboxSql.NULL_TIME;
import static dev.outbox.internal.OutboxSql.OWNER;
import static dev.outbox.internal.OutboxSql.OWNER_INSTANCE;
import static dev.outbox.internal.OutboxSql.PARTITIONS;
import static dev.outbox.internal.OutboxSql.PARTITION_NO;
import static dev.outbox.internal.OutboxSql.PAYLOAD;
import static dev.outbox.internal.OutboxSql.RESET_GENERATION;
import static dev.outbox.internal.OutboxSql.SEQ;
import static dev.outbox.internal.OutboxSql.SEQUENCED_AT;
import static dev.outbox.internal.OutboxSql.SEQUENCER_NAME;
import static dev.outbox.internal.OutboxSql.UPDATED_AT;
import static dev.outbox.internal.OutboxSql.WAITING_SINCE;
import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.insertInto;
import static org.jooq.impl.DSL.min;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.row;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.selectDistinct;
import static org.jooq.impl.DSL.update;
import static org.jooq.impl.DSL.when;

import dev.outbox.OutboxRecord;
import dev.outbox.StartPosition;
import dev.outbox.spi.OutboxDialect;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.Field;
import org.jooq.Param;
import org.jooq.Record;
import org.jooq.Row2;
import org.jooq.Table;
import org.jspecify.annotations.Nullable;

/**
 * The consumers' statements, each built, bound and run in one method: a consumer's row (its
 * checkpoint, its lease and the failure state its status shows; every write names the epoch) and
 * the reads of the log after a checkpoint. Rendered once per relay. Thread-safe; the methods run
 * on the caller's connection.
 */
final class ConsumerSql {

    /** A consumer's row as a relay that wants to take its lease sees it. */
    record Row(
            @Nullable String owner,
            long epoch,
            boolean expired,
            long checkpoint,
            @Nullable Instant leaseUntil,
            @Nullable Long blockedSeq,
            boolean hasFailure,
            @Nullable String ownerInstance,
            long resetGeneration) {}

    /** A consumer's row locked by the relay that runs it. */
    record Locked(long checkpoint, long epoch) {}

    private final OutboxSql sql;
    private final OutboxDialect dialect;
    private final Param<String> name = param("name", String.class);
    private final Param<Integer> partitionNo = param("partition_no", Integer.class);
    private final Param<Integer> partitionCount = param("partitions", Integer.class);
    private final Param<String> instance = param("instance", String.class);
    private final Param<Long> upTo = param("up_to", Long.class);
    private final Param<Long> epoch = param("epoch", Long.class);
    private final Param<Long> leaseMillis = param("lease_ms", Long.class);
    private final Param<String> owner = param("owner", String.class);
    private final Param<Long> checkpoint = param("checkpoint", Long.class);
    private final Param<String> error = param("error", String.class);
    private final Param<Long> blockedSeq = param("blocked_seq", Long.class);
    private final Param<Integer> waiting = param("waiting", Integer.class);
    private final Param<Long> after = param("after", Long.class);
    private final Param<Integer> batch = param("batch", Integer.class);

    private final Statement exists;
    private final Statement insertAtBeginning;
    private final Statement insertAtHead;
    private final Statement lockForTakeover;
    private final Statement takeOver;
    private final Statement lock;
    private final Statement saveCheckpoint;
    private final Statement saveCheckpointClearingFailure;
    private final Statement recordFailure;
    private final Statement renew;
    private final Statement clearWaiting;
    private final Statement release;
    private final Statement readLog;
    private final Statement lowestRetainedSeq;
    private final Statement declaredPartitions;
    private final Statement head;
    private final Statement readPartition;
    /** The renewal of a relay's leases, by how many it holds. */
    private final Map<Integer, LeaseRenewal> renewals = new ConcurrentHashMap<>();

    ConsumerSql(OutboxSql sql) {
        this.sql = sql;
        this.dialect = sql.dialect();
        Table<Record> consumer = sql.consumer;
        Field<OffsetDateTime> now = sql.now();
        Field<OffsetDateTime> leaseEnd = sql.nowPlus(leaseMillis);

        // A plain read: whether a consumer has its row, without locking it (see ConsumerLease).
        exists =
                sql.render(select(inline(1)).from(consumer).where(NAME.eq(name)).and(PARTITION_NO.eq(partitionNo)));

        insertAtBeginning = sql.render(insertInto(consumer, NAME, PARTITION_NO, PARTITIONS, CHECKPOINT_SEQ, EPOCH)
                .values(name, partitionNo, partitionCount, inline(0L), inline(0L))
                .onDuplicateKeyIgnore());

        insertAtHead = sql.render(insertInto(consumer, NAME, PARTITION_NO, PARTITIONS, CHECKPOINT_SEQ, EPOCH)
                .select(select(name, partitionNo, partitionCount, NEXT_SEQ.minus(inline(1L)), inline(0L))
                        .from(sql.sequencer)
                        .where(NAME.eq(inline(SEQUENCER_NAME))))
                .onDuplicateKeyIgnore());

        // SKIP LOCKED: a row locked by its owner's running transactional batch means the owner is
        // alive; a standby passes instead of waiting for the batch. The failure columns tell the
        // new owner what the status shows, so that its first success clears it.
        Field<Integer> expired =
                when(LEASE_UNTIL.isNull().or(LEASE_UNTIL.lt(now)), inline(1)).otherwise(inline(0));
        Field<Integer> hasFailure = when(
                        LAST_ERROR.isNotNull().or(BLOCKED_SEQ.isNotNull()).or(WAITING_SINCE.isNotNull()), inline(1))
                .otherwise(inline(0));
        lockForTakeover = sql.render(select(
                        OWNER,
                        EPOCH,
                        expired,
                        CHECKPOINT_SEQ,
                        LEASE_UNTIL,
                        BLOCKED_SEQ,
                        hasFailure,
                        OWNER_INSTANCE,
                        RESET_GENERATION)
                .from(consumer)
                .where(NAME.eq(name))
                .and(PARTITION_NO.eq(partitionNo))
                .forUpdate()
                .skipLocked());

        takeOver = sql.render(update(consumer)
                .set(OWNER, owner)
                .set(OWNER_INSTANCE, instance)
                .set(EPOCH, epoch)
                .set(LEASE_UNTIL, leaseEnd)
                .set(UPDATED_AT, now)
                .where(NAME.eq(name))
                .and(PARTITION_NO.eq(partitionNo)));

        lock = sql.render(select(CHECKPOINT_SEQ, EPOCH)
                .from(consumer)
                .where(NAME.eq(name))
                .and(PARTITION_NO.eq(partitionNo))
                .forUpdate());

        // The epoch fences a stale owner: after a takeover its write matches no row.
        saveCheckpoint = sql.render(update(consumer)
                .set(CHECKPOINT_SEQ, checkpoint)
                .set(LEASE_UNTIL, leaseEnd)
                .set(UPDATED_AT, now)
                .where(NAME.eq(name))
                .and(PARTITION_NO.eq(partitionNo))
                .and(EPOCH.eq(epoch)));

        // The first success after a failure saves its checkpoint and clears the status in one write.
        saveCheckpointClearingFailure = sql.render(update(consumer)
                .set(CHECKPOINT_SEQ, checkpoint)
                .set(LEASE_UNTIL, leaseEnd)
                .set(UPDATED_AT, now)
                .set(LAST_ERROR, NULL_STRING)
                .set(LAST_ERROR_AT, NULL_TIME)
                .set(BLOCKED_SEQ, NULL_LONG)
                .set(WAITING_SINCE, NULL_TIME)
                .where(NAME.eq(name))
                .and(PARTITION_NO.eq(partitionNo))
                .and(EPOCH.eq(epoch)));

        // The failure the consumer is in, for status(): the error, the blocked seq or NULL, and
        // since when it waits for its downstream (kept from the first write of one wait).
        recordFailure = sql.render(update(consumer)
                .set(LAST_ERROR, error)
                .set(LAST_ERROR_AT, now)
                .set(BLOCKED_SEQ, blockedSeq)
                .set(
                        WAITING_SINCE,
                        when(waiting.eq(inline(1)), coalesce(WAITING_SINCE, now))
                                .otherwise(NULL_TIME))
                .where(NAME.eq(name))
                .and(PARTITION_NO.eq(partitionNo))
                .and(EPOCH.eq(epoch)));

        // The downstream answered: the status stops saying the consumer waits for it, and keeps the
        // error and the blocked seq that remain.
        clearWaiting = sql.render(update(consumer)
                .set(WAITING_SINCE, NULL_TIME)
                .where(NAME.eq(name))
                .and(PARTITION_NO.eq(partitionNo))
                .and(EPOCH.eq(epoch)));

        renew = sql.render(update(consumer)
                .set(LEASE_UNTIL, leaseEnd)
                .set(UPDATED_AT, now)
                .where(NAME.eq(name))
                .and(PARTITION_NO.eq(partitionNo))
                .and(EPOCH.eq(epoch)));

        release = sql.render(update(consumer)
                .set(OWNER, NULL_STRING)
                .set(OWNER_INSTANCE, NULL_STRING)
                .set(LEASE_UNTIL, NULL_TIME)
                .set(UPDATED_AT, now)
                .where(NAME.eq(name))
                .and(PARTITION_NO.eq(partitionNo))
                .and(EPOCH.eq(epoch)));

        // The columns readRecord reads, in its order.
        List<Field<?>> recordColumns = List.of(
                SEQ, EVENT_ID, AGGREGATE_TYPE, AGGREGATE_ID, EVENT_TYPE, PAYLOAD, HEADERS, CREATED_AT, SEQUENCED_AT);

        // Uses the log's primary key: a range scan from the checkpoint.
        readLog = sql.render(select(recordColumns)
                .from(sql.log)
                .where(SEQ.gt(after))
                .orderBy(SEQ)
                .limit(batch));

        lowestRetainedSeq = sql.render(select(min(SEQ)).from(sql.log));

        // The partition counts the consumer's rows record: a relay declaring another is refused.
        declaredPartitions =
                sql.render(selectDistinct(PARTITIONS).from(consumer).where(NAME.eq(name)));

        head = sql.render(
                select(NEXT_SEQ.minus(inline(1L))).from(sql.sequencer).where(NAME.eq(inline(SEQUENCER_NAME))));

        // A partition's entries, by the log's primary key from the checkpoint up to a head read
        // before (so every seq up to it is visible: the sequencer commits the log's rows with
        // next_seq); the others stay on the server by their key hash. Rows without one (inserted
        // by plain SQL, or before schema version 3) come along and are sorted out by the caller.
        readPartition = sql.render(select(recordColumns)
                .from(sql.log)
                .where(SEQ.gt(after))
                .and(SEQ.le(upTo))
                .and(KEY_HASH.mod(partitionCount).eq(partitionNo).or(KEY_HASH.isNull()))
                .orderBy(SEQ)
                .limit(batch));
    }

    /**
     * Every lease a relay's loops hold, in one statement: the idle cost of a relay does not grow
     * with its partitions. Its rows named by primary key (pinned to it where a scan would lock
     * rows of other relays' batches), and by instance, not relay id: leases an earlier life of the
     * same relay id left behind expire instead of being kept alive by a relay that does not serve
     * them. One shape per number of leases; a single lease is named by two equalities, since
     * MariaDB reads a one-row list {@code (name, partition_no) IN ((?, ?))} by scanning the whole
     * index, hint or not, and so waited for every locked row of the table.
     */
    private LeaseRenewal renderRenewal(int leases) {
        List<Param<String>> names = new ArrayList<>();
        List<Param<Integer>> numbers = new ArrayList<>();
        List<Row2<String, Integer>> rows = new ArrayList<>();
        for (int i = 0; i < leases; i++) {
            names.add(param("name_" + i, String.class));
            numbers.add(param("partition_no_" + i, Integer.class));
            rows.add(row(names.get(i), numbers.get(i)));
        }
        Table<Record> target =
                dialect.lockingScansLockEveryRowTheyRead() ? sql.consumer.forceIndex("PRIMARY") : sql.consumer;
        Statement update = sql.render(update(target)
                .set(LEASE_UNTIL, sql.nowPlus(leaseMillis))
                .set(UPDATED_AT, sql.now())
                .where(OWNER_INSTANCE.eq(instance))
                .and(
                        leases == 1
                                ? NAME.eq(names.get(0)).and(PARTITION_NO.eq(numbers.get(0)))
                                : row(NAME, PARTITION_NO).in(rows)));
        return new LeaseRenewal(update, names, numbers);
    }

    private record LeaseRenewal(Statement update, List<Param<String>> names, List<Param<Integer>> numbers) {}

    boolean exists(Connection connection, Partition part) throws SQLException {
        try (Statement.Bound select =
                        exists.bind(connection).setString(name, part.consumer()).setInt(partitionNo, part.number());
                ResultSet rs = select.executeQuery()) {
            return rs.next();
        }
    }

    /**
     * Creates the consumer's row if it has none: its checkpoint at the head of the log (the
     * sequencer's {@code next_seq - 1}) or before its beginning (0).
     */
    void createRow(Connection connection, Partition part, StartPosition from) throws SQLException {
        Statement insert = from == StartPosition.HEAD ? insertAtHead : insertAtBeginning;
        try (Statement.Bound create = insert.bind(connection)
                .setString(name, part.consumer())
                .setInt(partitionNo, part.number())
                .setInt(partitionCount, part.count())) {
            create.executeUpdate();
        }
    }

    /** Locks the row to take the lease; {@code null} if it has none or its owner's batch holds it. */
    @Nullable
    Row lockForTakeover(Connection connection, Partition part) throws SQLException {
        try (Statement.Bound select = lockForTakeover
                        .bind(connection)
                        .setString(name, part.consumer())
                        .setInt(partitionNo, part.number());
                ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            Instant until = rs.getObject(5) == null ? null : dialect.readInstant(rs, 5);
            long blocked = rs.getLong(6);
            Long blockedAt = rs.wasNull() ? null : blocked;
            return new Row(
                    rs.getString(1),
                    rs.getLong(2),
                    rs.getInt(3) == 1,
                    rs.getLong(4),
                    until,
                    blockedAt,
                    rs.getInt(7) == 1,
                    rs.getString(8),
                    rs.getLong(9));
        }
    }

    void takeOver(
            Connection connection, Partition part, String relayId, String relayInstance, long newEpoch, long leaseMs)
            throws SQLException {
        try (Statement.Bound update = takeOver.bind(connection)
                .setString(name, part.consumer())
                .setInt(partitionNo, part.number())
                .setString(owner, relayId)
                .setString(instance, relayInstance)
                .setLong(epoch, newEpoch)
                .setLong(leaseMillis, leaseMs)) {
            update.executeUpdate();
        }
    }

    /** Locks the row for the rest of the transaction; {@code null} if it has none. */
    @Nullable
    Locked lock(Connection connection, Partition part) throws SQLException {
        try (Statement.Bound select =
                        lock.bind(connection).setString(name, part.consumer()).setInt(partitionNo, part.number());
                ResultSet rs = select.executeQuery()) {
            return rs.next() ? new Locked(rs.getLong(1), rs.getLong(2)) : null;
        }
    }

    /** Saves the checkpoint and renews the lease (clearing the failure state too); rows updated. */
    int saveCheckpoint(
            Connection connection, Partition part, long heldEpoch, long seq, boolean clearFailure, long leaseMs)
            throws SQLException {
        Statement save = clearFailure ? saveCheckpointClearingFailure : saveCheckpoint;
        try (Statement.Bound update = save.bind(connection)
                .setString(name, part.consumer())
                .setInt(partitionNo, part.number())
                .setLong(epoch, heldEpoch)
                .setLong(checkpoint, seq)
                .setLong(leaseMillis, leaseMs)) {
            return update.executeUpdate();
        }
    }

    /** Records the failure state; rows updated. */
    int recordFailure(
            Connection connection,
            Partition part,
            long heldEpoch,
            String description,
            @Nullable Long blockedAt,
            boolean waitingForDownstream)
            throws SQLException {
        try (Statement.Bound update = recordFailure
                .bind(connection)
                .setString(name, part.consumer())
                .setInt(partitionNo, part.number())
                .setLong(epoch, heldEpoch)
                .setString(error, description)
                .setLong(blockedSeq, blockedAt)
                .setInt(waiting, waitingForDownstream ? 1 : 0)) {
            return update.executeUpdate();
        }
    }

    /** Clears the time since which the partition waits for its downstream; rows updated. */
    int clearWaiting(Connection connection, Partition part, long heldEpoch) throws SQLException {
        try (Statement.Bound update = clearWaiting
                .bind(connection)
                .setString(name, part.consumer())
                .setInt(partitionNo, part.number())
                .setLong(epoch, heldEpoch)) {
            return update.executeUpdate();
        }
    }

    /** Extends the lease; rows updated. */
    int renew(Connection connection, Partition part, long heldEpoch, long leaseMs) throws SQLException {
        try (Statement.Bound update = renew.bind(connection)
                .setString(name, part.consumer())
                .setInt(partitionNo, part.number())
                .setLong(epoch, heldEpoch)
                .setLong(leaseMillis, leaseMs)) {
            return update.executeUpdate();
        }
    }

    void release(Connection connection, Partition part, long heldEpoch) throws SQLException {
        try (Statement.Bound update = release.bind(connection)
                .setString(name, part.consumer())
                .setInt(partitionNo, part.number())
                .setLong(epoch, heldEpoch)) {
            update.executeUpdate();
        }
    }

    /** Reads up to {@code limit} log entries after {@code afterSeq}, in seq order. */
    List<OutboxRecord> readLog(Connection connection, long afterSeq, int limit) throws SQLException {
        try (Statement.Bound read =
                readLog.bind(connection).setLong(after, afterSeq).setInt(batch, limit)) {
            read.statement().setFetchSize(limit);
            List<OutboxRecord> records = new ArrayList<>(Math.min(limit, 1024));
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    records.add(readRecord(rs, dialect));
                }
            }
            return records;
        }
    }

    /**
     * How many seqs past its checkpoint a partition's read looks at most, per entry of its limit and
     * partition of its consumer: twice the stretch that holds a full batch of a partition with its
     * fair share of the keys. PostgreSQL cannot estimate the key-hash filter (no statistics for the
     * expression) nor, before the log's first ANALYZE, the seq range, and when it takes the range
     * for a small one it reads the range whole and sorts it: with a backlog of a million entries
     * that took 1.6 s a batch. Within the window, every plan reads a few batches' rows at most.
     */
    static final int PARTITION_READ_WINDOW = 2;

    /**
     * Reads up to {@code limit} entries of a split consumer's partition after {@code afterSeq}, up to
     * {@code maxSeq}, the log's head and the {@linkplain #PARTITION_READ_WINDOW window} of one read:
     * a {@link PartitionRead} of the entries of the partition, and the seq up to which it saw them all.
     */
    PartitionRead readPartition(Connection connection, Partition part, long afterSeq, long maxSeq, int limit)
            throws SQLException {
        long reachable = Math.min(maxSeq, head(connection));
        long bound = Math.min(reachable, afterSeq + (long) limit * part.count() * PARTITION_READ_WINDOW);
        if (bound <= afterSeq) {
            return new PartitionRead(List.of(), afterSeq, 0, false);
        }
        try (Statement.Bound read = readPartition
                .bind(connection)
                .setLong(after, afterSeq)
                .setLong(upTo, bound)
                .setInt(partitionCount, part.count())
                .setInt(partitionNo, part.number())
                .setInt(batch, limit)) {
            read.statement().setFetchSize(limit);
            List<OutboxRecord> records = new ArrayList<>(Math.min(limit, 1024));
            int rows = 0;
            long last = afterSeq;
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    OutboxRecord record = readRecord(rs, dialect);
                    rows++;
                    last = record.seq();
                    if (part.holds(record)) {
                        records.add(record);
                    }
                }
            }
            boolean full = rows == limit;
            return new PartitionRead(records, full ? last : bound, rows, full || bound < reachable);
        }
    }

    /**
     * A partition's entries read after a checkpoint.
     *
     * @param records the partition's entries, in seq order
     * @param coveredTo the seq up to which every entry of the partition is in {@code records}
     * @param rowsRead the rows the read returned, those of other partitions without a key hash too
     * @param more whether entries after {@code coveredTo} may be read at once: the read stopped at its
     *     limit or at the end of its window
     */
    record PartitionRead(List<OutboxRecord> records, long coveredTo, int rowsRead, boolean more) {}

    /** The last seq of the log (the sequencer's {@code next_seq - 1}). */
    long head(Connection connection) throws SQLException {
        try (Statement.Bound read = head.bind(connection);
                ResultSet rs = read.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("the sequencer row is missing: run the migration");
            }
            return rs.getLong(1);
        }
    }

    /** The partition counts consumer {@code consumer}'s rows record (empty when it has none). */
    List<Integer> declaredPartitions(Connection connection, String consumer) throws SQLException {
        try (Statement.Bound read = declaredPartitions.bind(connection).setString(name, consumer);
                ResultSet rs = read.executeQuery()) {
            List<Integer> counts = new ArrayList<>();
            while (rs.next()) {
                counts.add(rs.getInt(1));
            }
            return counts;
        }
    }

    /**
     * Extends the leases of {@code held} that relay instance {@code relayInstance} still holds;
     * rows updated.
     */
    int renewHeld(Connection connection, String relayInstance, List<Partition> held, long leaseMs) throws SQLException {
        if (held.isEmpty()) {
            return 0;
        }
        LeaseRenewal renewal = renewals.computeIfAbsent(held.size(), this::renderRenewal);
        try (Statement.Bound update = renewal.update().bind(connection)) {
            update.setString(instance, relayInstance).setLong(leaseMillis, leaseMs);
            for (int i = 0; i < held.size(); i++) {
                update.setString(renewal.names().get(i), held.get(i).consumer())
                        .setInt(renewal.numbers().get(i), held.get(i).number());
            }
            return update.executeUpdate();
        }
    }

    /** The lowest seq still in the log, {@link Long#MAX_VALUE} when it is empty. */
    long lowestRetainedSeq(Connection connection) throws SQLException {
        try (Statement.Bound read = lowestRetainedSeq.bind(connection);
                ResultSet rs = read.executeQuery()) {
            rs.next();
            long lowest = rs.getLong(1);
            return rs.wasNull() ? Long.MAX_VALUE : lowest;
        }
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(
                exists,
                insertAtBeginning,
                insertAtHead,
                lockForTakeover,
                takeOver,
                lock,
                saveCheckpoint,
                saveCheckpointClearingFailure,
                recordFailure,
                renew,
                clearWaiting,
                release,
                readLog,
                lowestRetainedSeq,
                declaredPartitions,
                head,
                readPartition,
                renderRenewal(1).update(),
                renderRenewal(3).update());
    }

    /**
     * Reads a record from the current row of a result set whose first nine columns are seq,
     * event_id, aggregate_type, aggregate_id, event_type, payload, headers, created_at, sequenced_at.
     */
    static OutboxRecord readRecord(ResultSet rs, OutboxDialect dialect) throws SQLException {
        return new OutboxRecord(
                rs.getLong(1),
                dialect.readUuid(rs, 2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                HeadersJson.read(rs.getString(7)),
                dialect.readInstant(rs, 8),
                dialect.readInstant(rs, 9));
    }
}
