package dev.outbox.internal;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.noCondition;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.rowNumber;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.table;
import static org.jooq.impl.DSL.when;

import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxDialect;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.InsertValuesStep6;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Every statement the writer and the relay run, rendered by jOOQ for one dialect and one set of
 * table names. Table and column names come from here only; they are always quoted.
 *
 * <p>Thread-safe: the fixed statements are rendered in the constructor, the insert of n events is
 * rendered once per n and cached.
 */
public final class OutboxSql {

    static {
        // A library must not print banners into its users' logs.
        System.setProperty("org.jooq.no-logo", System.getProperty("org.jooq.no-logo", "true"));
        System.setProperty("org.jooq.no-tips", System.getProperty("org.jooq.no-tips", "true"));
    }

    /** The sequencer row every relay of one set of tables shares (the migration inserts it). */
    public static final String SEQUENCER_NAME = "default";

    /** The schema version this build of the engine reads and writes; the migration records it. */
    public static final int SCHEMA_VERSION = 2;

    /** Rows per multi-row insert: stays far below every driver's bind-parameter limit. */
    public static final int MAX_ROWS_PER_INSERT = 500;

    // Columns, shared by the tables that have them.
    static final Field<Long> POSITION = field(name("position"), SQLDataType.BIGINT);
    static final Field<Long> SEQ = field(name("seq"), SQLDataType.BIGINT);
    static final Field<Object> EVENT_ID = field(name("event_id"));
    static final Field<String> AGGREGATE_TYPE = field(name("aggregate_type"), SQLDataType.VARCHAR);
    static final Field<String> AGGREGATE_ID = field(name("aggregate_id"), SQLDataType.VARCHAR);
    static final Field<String> EVENT_TYPE = field(name("event_type"), SQLDataType.VARCHAR);
    static final Field<String> PAYLOAD = field(name("payload"), SQLDataType.CLOB);
    static final Field<String> HEADERS = field(name("headers"), SQLDataType.CLOB);
    static final Field<OffsetDateTime> CREATED_AT = field(name("created_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<OffsetDateTime> SEQUENCED_AT = field(name("sequenced_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<String> NAME = field(name("name"), SQLDataType.VARCHAR);
    static final Field<Long> NEXT_SEQ = field(name("next_seq"), SQLDataType.BIGINT);
    static final Field<String> HOLDER = field(name("holder"), SQLDataType.VARCHAR);
    static final Field<Long> EPOCH = field(name("epoch"), SQLDataType.BIGINT);
    static final Field<OffsetDateTime> LEASE_UNTIL = field(name("lease_until"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<OffsetDateTime> HEARTBEAT_AT = field(name("heartbeat_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<Integer> SCHEMA_VERSION_COLUMN = field(name("schema_version"), SQLDataType.INTEGER);
    static final Field<Long> CHECKPOINT_SEQ = field(name("checkpoint_seq"), SQLDataType.BIGINT);
    static final Field<String> OWNER = field(name("owner"), SQLDataType.VARCHAR);
    static final Field<OffsetDateTime> UPDATED_AT = field(name("updated_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<Long> BLOCKED_SEQ = field(name("blocked_seq"), SQLDataType.BIGINT);
    static final Field<String> LAST_ERROR = field(name("last_error"), SQLDataType.CLOB);
    static final Field<OffsetDateTime> LAST_ERROR_AT = field(name("last_error_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<OffsetDateTime> WAITING_SINCE = field(name("waiting_since"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<String> CONSUMER = field(name("consumer"), SQLDataType.VARCHAR);
    static final Field<String> STATUS = field(name("status"), SQLDataType.VARCHAR);
    static final Field<String> ERROR_CLASS = field(name("error_class"), SQLDataType.VARCHAR);
    static final Field<String> ERROR_MESSAGE = field(name("error_message"), SQLDataType.CLOB);
    static final Field<String> STACK_HEAD = field(name("stack_head"), SQLDataType.CLOB);
    static final Field<Integer> ATTEMPTS = field(name("attempts"), SQLDataType.INTEGER);
    static final Field<OffsetDateTime> FIRST_FAILED_AT =
            field(name("first_failed_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<OffsetDateTime> LAST_FAILED_AT =
            field(name("last_failed_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<String> DISCARD_REASON = field(name("discard_reason"), SQLDataType.CLOB);
    static final Field<OffsetDateTime> DISCARDED_AT = field(name("discarded_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);

    static final Field<String> NULL_STRING = inline((String) null, SQLDataType.VARCHAR);
    static final Field<OffsetDateTime> NULL_TIME = inline((OffsetDateTime) null, SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<Long> NULL_LONG = inline((Long) null, SQLDataType.BIGINT);

    private final OutboxTables tables;
    private final OutboxDialect dialect;
    private final DSLContext dsl;
    private final Table<Record> event;
    private final Table<Record> log;
    private final Table<Record> sequencer;
    private final Table<Record> consumer;
    private final Table<Record> deadLetter;
    private final ConcurrentHashMap<Integer, NamedSql> insertEvents = new ConcurrentHashMap<>();

    // Sequencer
    final NamedSql probeQueue;
    final NamedSql lockSequencer;
    final NamedSql selectQueuedPositions;
    final NamedSql advanceSequencer;
    final NamedSql lockSequencerForTakeover;
    final NamedSql takeOverSequencer;
    final NamedSql renewSequencer;
    final NamedSql releaseSequencer;
    final NamedSql readSchemaVersion;
    final NamedSql deleteRunFromQueue;

    // Consumers
    final NamedSql insertConsumerAtBeginning;
    final NamedSql insertConsumerAtHead;
    final NamedSql lockConsumerForTakeover;
    final NamedSql consumerExists;
    final NamedSql takeOverConsumer;
    final NamedSql lockConsumer;
    final NamedSql readLog;
    final NamedSql saveCheckpoint;
    final NamedSql saveCheckpointClearingFailure;
    final NamedSql recordFailure;
    final NamedSql renewConsumer;
    final NamedSql releaseConsumer;
    final NamedSql resetConsumer;
    final NamedSql lowestRetainedSeq;

    public OutboxSql(OutboxDialect dialect, OutboxTables tables) {
        this.tables = tables;
        this.dialect = dialect;
        this.dsl = DSL.using(
                dialect.sqlDialect(),
                new Settings()
                        .withRenderQuotedNames(RenderQuotedNames.ALWAYS)
                        .withRenderSchema(true)
                        .withRenderFormatted(false));
        this.event = table(tables, tables.eventTable());
        this.log = table(tables, tables.logTable());
        this.sequencer = table(tables, tables.sequencerTable());
        this.consumer = table(tables, tables.consumerTable());
        this.deadLetter = table(tables, tables.deadLetterTable());

        Field<Long> leaseMillis = param("lease_ms", Long.class);
        // Time columns differ in type per database; the engine only renders them, so one type serves.
        Field<OffsetDateTime> now = dialect.currentTime().coerce(OffsetDateTime.class);
        Field<OffsetDateTime> leaseEnd =
                dialect.currentTimePlusMillis(leaseMillis).coerce(OffsetDateTime.class);
        Field<Integer> leaseExpired =
                when(LEASE_UNTIL.isNull().or(LEASE_UNTIL.lt(now)), inline(1)).otherwise(inline(0));

        // --- sequencer -------------------------------------------------------------------------
        // A cheap emptiness check before taking the sequencer lock: one index probe on the primary key.
        probeQueue = render(select(POSITION).from(event).orderBy(POSITION).limit(inline(1)));

        // The lock that serializes sequencer transactions: every batch locks this one row first, so
        // batches commit one after the other and seq is gap-free and prefix-visible.
        lockSequencer = render(select(NEXT_SEQ, HOLDER, EPOCH)
                .from(sequencer)
                .where(NAME.eq(param("name", String.class)))
                .forUpdate());

        // The batch: ONE plain (non-locking) read, so one snapshot. A locking read would wait on
        // in-flight inserts; a second read could see rows that committed in between. Uses the
        // primary key index of the queue.
        selectQueuedPositions =
                render(select(POSITION).from(event).orderBy(POSITION).limit(param("batch", Integer.class)));

        // For databases whose locking range scans read past their end (InnoDB): one run of
        // consecutive positions; LIMIT stops the scan at the run's last row, so it never reads, and
        // never waits for, the row after it, which may be another transaction's uncommitted insert.
        deleteRunFromQueue = render(DSL.deleteFrom(event)
                .where(POSITION.between(param("first", Long.class), param("last", Long.class)))
                .orderBy(POSITION)
                .limit(param("count", Integer.class)));

        advanceSequencer = render(DSL.update(sequencer)
                .set(NEXT_SEQ, param("next_seq", Long.class))
                .set(LEASE_UNTIL, leaseEnd)
                .set(HEARTBEAT_AT, now)
                .where(NAME.eq(param("name", String.class))));

        lockSequencerForTakeover = render(select(HOLDER, EPOCH, leaseExpired, LEASE_UNTIL)
                .from(sequencer)
                .where(NAME.eq(param("name", String.class)))
                .forUpdate()
                .skipLocked());

        takeOverSequencer = render(DSL.update(sequencer)
                .set(HOLDER, param("holder", String.class))
                .set(EPOCH, param("epoch", Long.class))
                .set(LEASE_UNTIL, leaseEnd)
                .set(HEARTBEAT_AT, now)
                .where(NAME.eq(param("name", String.class))));

        renewSequencer = render(DSL.update(sequencer)
                .set(LEASE_UNTIL, leaseEnd)
                .set(HEARTBEAT_AT, now)
                .where(NAME.eq(param("name", String.class)))
                .and(HOLDER.eq(param("holder", String.class)))
                .and(EPOCH.eq(param("epoch", Long.class))));

        releaseSequencer = render(DSL.update(sequencer)
                .set(HOLDER, NULL_STRING)
                .set(LEASE_UNTIL, NULL_TIME)
                .where(NAME.eq(param("name", String.class)))
                .and(HOLDER.eq(param("holder", String.class)))
                .and(EPOCH.eq(param("epoch", Long.class))));

        readSchemaVersion =
                render(select(SCHEMA_VERSION_COLUMN).from(sequencer).where(NAME.eq(param("name", String.class))));

        // --- consumers -------------------------------------------------------------------------
        insertConsumerAtBeginning = render(DSL.insertInto(consumer, NAME, CHECKPOINT_SEQ, EPOCH)
                .values(param("name", String.class), inline(0L), inline(0L))
                .onDuplicateKeyIgnore());

        insertConsumerAtHead = render(DSL.insertInto(consumer, NAME, CHECKPOINT_SEQ, EPOCH)
                .select(select(param("name", String.class), NEXT_SEQ.minus(inline(1L)), inline(0L))
                        .from(sequencer)
                        .where(NAME.eq(param("sequencer", String.class))))
                .onDuplicateKeyIgnore());

        // A plain read: whether a consumer has its row, without locking it (see ConsumerLease).
        consumerExists = render(select(inline(1)).from(consumer).where(NAME.eq(param("name", String.class))));

        // SKIP LOCKED: a row locked by its owner's running transactional batch means the owner is
        // alive; a standby passes instead of waiting for the batch. The failure columns tell the
        // new owner what the status shows, so that its first success clears it.
        Field<Integer> hasFailure = when(
                        LAST_ERROR.isNotNull().or(BLOCKED_SEQ.isNotNull()).or(WAITING_SINCE.isNotNull()), inline(1))
                .otherwise(inline(0));
        lockConsumerForTakeover =
                render(select(OWNER, EPOCH, leaseExpired, CHECKPOINT_SEQ, LEASE_UNTIL, BLOCKED_SEQ, hasFailure)
                        .from(consumer)
                        .where(NAME.eq(param("name", String.class)))
                        .forUpdate()
                        .skipLocked());

        takeOverConsumer = render(DSL.update(consumer)
                .set(OWNER, param("owner", String.class))
                .set(EPOCH, param("epoch", Long.class))
                .set(LEASE_UNTIL, leaseEnd)
                .set(UPDATED_AT, now)
                .where(NAME.eq(param("name", String.class))));

        lockConsumer = render(select(CHECKPOINT_SEQ, EPOCH)
                .from(consumer)
                .where(NAME.eq(param("name", String.class)))
                .forUpdate());

        // Uses the log's primary key: a range scan from the checkpoint.
        readLog = render(select(
                        SEQ,
                        EVENT_ID,
                        AGGREGATE_TYPE,
                        AGGREGATE_ID,
                        EVENT_TYPE,
                        PAYLOAD,
                        HEADERS,
                        CREATED_AT,
                        SEQUENCED_AT)
                .from(log)
                .where(SEQ.gt(param("after", Long.class)))
                .orderBy(SEQ)
                .limit(param("batch", Integer.class)));

        // The epoch fences a stale owner: after a takeover its write matches no row.
        saveCheckpoint = render(DSL.update(consumer)
                .set(CHECKPOINT_SEQ, param("checkpoint", Long.class))
                .set(LEASE_UNTIL, leaseEnd)
                .set(UPDATED_AT, now)
                .where(NAME.eq(param("name", String.class)))
                .and(EPOCH.eq(param("epoch", Long.class))));

        // The first success after a failure saves its checkpoint and clears the status in one write.
        saveCheckpointClearingFailure = render(DSL.update(consumer)
                .set(CHECKPOINT_SEQ, param("checkpoint", Long.class))
                .set(LEASE_UNTIL, leaseEnd)
                .set(UPDATED_AT, now)
                .set(LAST_ERROR, NULL_STRING)
                .set(LAST_ERROR_AT, NULL_TIME)
                .set(BLOCKED_SEQ, NULL_LONG)
                .set(WAITING_SINCE, NULL_TIME)
                .where(NAME.eq(param("name", String.class)))
                .and(EPOCH.eq(param("epoch", Long.class))));

        // The failure the consumer is in, for status(): the error, the blocked seq or NULL, and
        // since when it waits for its downstream (kept from the first write of one wait).
        recordFailure = render(DSL.update(consumer)
                .set(LAST_ERROR, param("error", String.class))
                .set(LAST_ERROR_AT, now)
                .set(BLOCKED_SEQ, param("blocked_seq", Long.class))
                .set(
                        WAITING_SINCE,
                        when(param("waiting", Integer.class).eq(inline(1)), DSL.coalesce(WAITING_SINCE, now))
                                .otherwise(NULL_TIME))
                .where(NAME.eq(param("name", String.class)))
                .and(EPOCH.eq(param("epoch", Long.class))));

        renewConsumer = render(DSL.update(consumer)
                .set(LEASE_UNTIL, leaseEnd)
                .set(UPDATED_AT, now)
                .where(NAME.eq(param("name", String.class)))
                .and(EPOCH.eq(param("epoch", Long.class))));

        releaseConsumer = render(DSL.update(consumer)
                .set(OWNER, NULL_STRING)
                .set(LEASE_UNTIL, NULL_TIME)
                .set(UPDATED_AT, now)
                .where(NAME.eq(param("name", String.class)))
                .and(EPOCH.eq(param("epoch", Long.class))));

        // Bumping the epoch fences whoever owns the consumer now: it finds its next checkpoint
        // write rejected, takes the lease again and reads the new checkpoint.
        // The failure state belonged to the old position: cleared with it.
        resetConsumer = render(DSL.update(consumer)
                .set(CHECKPOINT_SEQ, param("checkpoint", Long.class))
                .set(EPOCH, EPOCH.plus(inline(1L)))
                .set(OWNER, NULL_STRING)
                .set(LEASE_UNTIL, NULL_TIME)
                .set(UPDATED_AT, now)
                .set(LAST_ERROR, NULL_STRING)
                .set(LAST_ERROR_AT, NULL_TIME)
                .set(BLOCKED_SEQ, NULL_LONG)
                .set(WAITING_SINCE, NULL_TIME)
                .where(NAME.eq(param("name", String.class))));

        lowestRetainedSeq = render(select(DSL.min(SEQ)).from(log));
    }

    public OutboxTables tables() {
        return tables;
    }

    public OutboxDialect dialect() {
        return dialect;
    }

    /**
     * {@code INSERT INTO event (event_id, aggregate_type, aggregate_id, event_type, payload, headers)
     * VALUES (...), (...)} for {@code rows} rows; parameters are bound by position, six per row in
     * that column order. No {@code RETURNING}: the application role needs INSERT only.
     */
    public NamedSql insertEvents(int rows) {
        if (rows < 1 || rows > MAX_ROWS_PER_INSERT) {
            throw new IllegalArgumentException("rows must be in [1, " + MAX_ROWS_PER_INSERT + "], was " + rows);
        }
        return insertEvents.computeIfAbsent(rows, this::renderInsertEvents);
    }

    private NamedSql renderInsertEvents(int rows) {
        InsertValuesStep6<Record, Object, String, String, String, String, String> insert =
                DSL.insertInto(event, EVENT_ID, AGGREGATE_TYPE, AGGREGATE_ID, EVENT_TYPE, PAYLOAD, HEADERS);
        for (int row = 0; row < rows; row++) {
            insert = insert.values(
                    param("event_id_" + row),
                    param("aggregate_type_" + row, String.class),
                    param("aggregate_id_" + row, String.class),
                    param("event_type_" + row, String.class),
                    param("payload_" + row, String.class),
                    param("headers_" + row, String.class));
        }
        NamedSql sql = render(insert);
        if (sql.parameterNames().size() != rows * 6
                || !sql.parameterNames().get(0).equals("event_id_0")
                || !sql.parameterNames().get(5).equals("headers_0")) {
            throw new IllegalStateException("unexpected parameter order in " + sql);
        }
        return sql;
    }

    /**
     * Copies the queued rows at exactly {@code positions} (ascending) into the log with
     * {@code seq = first_seq, first_seq + 1, ...} in position order. The rows are named, never
     * chosen by a second read of the queue: a row that committed after the batch was read stays
     * queued for the next batch.
     */
    NamedSql moveToLog(long[] positions) {
        Field<Long> firstSeq = param("first_seq", Long.class);
        return render(DSL.insertInto(
                        log,
                        List.of(
                                SEQ,
                                POSITION,
                                EVENT_ID,
                                AGGREGATE_TYPE,
                                AGGREGATE_ID,
                                EVENT_TYPE,
                                PAYLOAD,
                                HEADERS,
                                CREATED_AT,
                                SEQUENCED_AT))
                .select(select(
                                firstSeq.plus(rowNumber().over().orderBy(POSITION))
                                        .minus(inline(1L)),
                                POSITION,
                                EVENT_ID,
                                AGGREGATE_TYPE,
                                AGGREGATE_ID,
                                EVENT_TYPE,
                                PAYLOAD,
                                HEADERS,
                                CREATED_AT,
                                dialect.currentTime())
                        .from(event)
                        .where(positionsIn(positions))));
    }

    /** Deletes the queued rows at exactly {@code positions}, after {@link #moveToLog}. */
    NamedSql deleteFromQueue(long[] positions) {
        return render(DSL.deleteFrom(event).where(positionsIn(positions)));
    }

    /**
     * A condition that matches exactly the given ascending positions: each run of consecutive
     * positions as one {@code BETWEEN} (no other position can lie inside a run), single ones in an
     * {@code IN} list. Under normal load the batch is one or a few runs, so the statement is a range
     * scan of the primary key.
     */
    static Condition positionsIn(long[] positions) {
        Condition condition = noCondition();
        List<Field<Long>> singles = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= positions.length; i++) {
            if (i == positions.length || positions[i] != positions[i - 1] + 1) {
                if (i - start == 1) {
                    singles.add(inline(positions[start]));
                } else {
                    condition = condition.or(POSITION.between(inline(positions[start]), inline(positions[i - 1])));
                }
                start = i;
            }
        }
        if (!singles.isEmpty()) {
            condition = condition.or(POSITION.in(singles));
        }
        return condition;
    }

    Table<Record> logTable() {
        return log;
    }

    Table<Record> sequencerTable() {
        return sequencer;
    }

    Table<Record> consumerTable() {
        return consumer;
    }

    Table<Record> deadLetterTable() {
        return deadLetter;
    }

    NamedSql render(org.jooq.Query query) {
        return NamedSql.render(dsl, query);
    }

    private static Table<Record> table(OutboxTables tables, String tableName) {
        return tables.schema() == null ? DSL.table(name(tableName)) : DSL.table(name(tables.schema(), tableName));
    }
}
