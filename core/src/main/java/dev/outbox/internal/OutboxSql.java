package dev.outbox.internal;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.name;

import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxDialect;
import java.time.OffsetDateTime;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Query;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The one place table and column names come from: the outbox's columns, its six tables for one
 * {@link OutboxTables}, and the jOOQ context that renders statements on them for one dialect, names
 * always quoted. Each stage renders its own statements with it, next to the code that binds and
 * runs them: {@link WriterEngine} (write), {@link SequencerSql} (sequence), {@link ConsumerSql}
 * (consume), {@link DeadLetterSql}, {@link StatusReader} and {@link RelayAdmin} (operate), {@link
 * Retention}. Immutable and thread-safe.
 */
final class OutboxSql {

    static {
        // A library must not print banners into its users' logs.
        System.setProperty("org.jooq.no-logo", System.getProperty("org.jooq.no-logo", "true"));
        System.setProperty("org.jooq.no-tips", System.getProperty("org.jooq.no-tips", "true"));
    }

    /** The sequencer row every relay of one set of tables shares (the migration inserts it). */
    static final String SEQUENCER_NAME = "default";

    /** The schema version this build of the engine reads and writes; the migration records it. */
    static final int SCHEMA_VERSION = 5;

    // Columns, shared by the tables that have them.
    static final Field<Long> POSITION = field(name("position"), SQLDataType.BIGINT);
    static final Field<Long> SEQ = field(name("seq"), SQLDataType.BIGINT);
    static final Field<Object> EVENT_ID = field(name("event_id"));
    static final Field<String> AGGREGATE_TYPE = field(name("aggregate_type"), SQLDataType.VARCHAR);
    static final Field<String> AGGREGATE_ID = field(name("aggregate_id"), SQLDataType.VARCHAR);
    static final Field<Integer> KEY_HASH = field(name("key_hash"), SQLDataType.INTEGER);
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
    static final Field<Long> RESET_GENERATION = field(name("reset_generation"), SQLDataType.BIGINT);
    static final Field<Long> BLOCKED_SEQ = field(name("blocked_seq"), SQLDataType.BIGINT);
    static final Field<String> LAST_ERROR = field(name("last_error"), SQLDataType.CLOB);
    static final Field<OffsetDateTime> LAST_ERROR_AT = field(name("last_error_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<OffsetDateTime> WAITING_SINCE = field(name("waiting_since"), SQLDataType.TIMESTAMPWITHTIMEZONE);
    static final Field<String> CONSUMER = field(name("consumer"), SQLDataType.VARCHAR);
    static final Field<Integer> PARTITION_NO = field(name("partition_no"), SQLDataType.INTEGER);
    static final Field<Integer> PARTITIONS = field(name("partitions"), SQLDataType.INTEGER);
    static final Field<String> OWNER_INSTANCE = field(name("owner_instance"), SQLDataType.VARCHAR);
    static final Field<String> RELAY_ID = field(name("relay_id"), SQLDataType.VARCHAR);
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
    final Table<Record> event;
    final Table<Record> log;
    final Table<Record> sequencer;
    final Table<Record> consumer;
    final Table<Record> deadLetter;
    final Table<Record> relay;

    OutboxSql(OutboxDialect dialect, OutboxTables tables) {
        this.tables = tables;
        this.dialect = dialect;
        this.dsl = DSL.using(
                dialect.sqlDialect(),
                new Settings()
                        .withRenderQuotedNames(RenderQuotedNames.ALWAYS)
                        .withRenderSchema(true)
                        .withRenderFormatted(false));
        this.event = table(tables.eventTable());
        this.log = table(tables.logTable());
        this.sequencer = table(tables.sequencerTable());
        this.consumer = table(tables.consumerTable());
        this.deadLetter = table(tables.deadLetterTable());
        this.relay = table(tables.relayTable());
    }

    OutboxTables tables() {
        return tables;
    }

    OutboxDialect dialect() {
        return dialect;
    }

    /** Renders {@code query} once, to be bound by its parameters. */
    Statement render(Query query) {
        return Statement.render(dsl, dialect, query);
    }

    /**
     * The database's current time. Time columns differ in type per database; the engine only
     * renders them, so one type serves.
     */
    Field<OffsetDateTime> now() {
        return dialect.currentTime().coerce(OffsetDateTime.class);
    }

    /** The database's current time plus {@code millis}. */
    Field<OffsetDateTime> nowPlus(Field<Long> millis) {
        return dialect.currentTimePlusMillis(millis).coerce(OffsetDateTime.class);
    }

    private Table<Record> table(String tableName) {
        return tables.schema() == null ? DSL.table(name(tableName)) : DSL.table(name(tables.schema(), tableName));
    }
}
