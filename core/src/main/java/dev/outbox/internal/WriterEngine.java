package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.AGGREGATE_ID;
import static dev.outbox.internal.OutboxSql.AGGREGATE_TYPE;
import static dev.outbox.internal.OutboxSql.EVENT_ID;
import static dev.outbox.internal.OutboxSql.EVENT_TYPE;
import static dev.outbox.internal.OutboxSql.HEADERS;
import static dev.outbox.internal.OutboxSql.KEY_HASH;
import static dev.outbox.internal.OutboxSql.PAYLOAD;
import static org.jooq.impl.DSL.insertInto;
import static org.jooq.impl.DSL.param;

import dev.outbox.InvalidEventException;
import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxException;
import dev.outbox.OutboxSchemaException;
import dev.outbox.OutboxTables;
import dev.outbox.spi.Notifications;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.InsertValuesStep7;
import org.jooq.Record;
import org.jspecify.annotations.Nullable;

/**
 * The engine of {@link dev.outbox.OutboxWriter}: validates events, inserts them into the queue
 * table with multi-row inserts on the caller's connection (the write stage's only statement,
 * rendered once per number of rows), and wakes the relays of this JVM after a commit. Validation of
 * the whole list happens before the first statement, so invalid input writes nothing. A writer
 * renders none of the relay's statements.
 *
 * <p>Public only for {@code OutboxWriter}, in another package: not API. Immutable and thread-safe.
 */
public final class WriterEngine {

    /** Rows per multi-row insert: stays far below every driver's bind-parameter limit. */
    static final int MAX_ROWS_PER_INSERT = 500;

    /** Payload characters per multi-row insert (about 4 MiB of ASCII), see {@link #chunkEnd}. */
    static final long MAX_PAYLOAD_CHARS_PER_INSERT = 4L << 20;

    private final OutboxSql sql;
    private final OutboxDialect dialect;
    private final int maxPayloadBytes;
    private final @Nullable Notifications notifications;
    private final String channel;
    private final ConcurrentHashMap<Integer, String> inserts = new ConcurrentHashMap<>();

    public WriterEngine(OutboxDialect dialect, OutboxTables tables, int maxPayloadBytes, boolean notify) {
        this.sql = new OutboxSql(dialect, tables);
        this.dialect = dialect;
        this.maxPayloadBytes = maxPayloadBytes;
        this.notifications = notify ? dialect.notifications() : null;
        this.channel = LocalWakeups.channel(tables);
    }

    /** Wakes the relays of this JVM that sequence these tables: events were committed. Never blocks. */
    public void committed() {
        LocalWakeups.signal(sql.tables());
    }

    /** Throws {@link InvalidEventException} if any event is invalid; checks all before writing. */
    public void validate(List<OutboxEvent> events) {
        for (int i = 0; i < events.size(); i++) {
            OutboxEvent event = events.get(i);
            if (event == null) {
                throw new InvalidEventException("events[" + i + "] is null");
            }
            if (isOverUtf8Limit(event.payload(), maxPayloadBytes)) {
                throw new InvalidEventException("payload of event '" + event.eventType() + "' for key '"
                        + event.aggregateId() + "' is over the limit of " + maxPayloadBytes
                        + " bytes (UTF-8): store large bodies elsewhere and append a reference, or raise"
                        + " OutboxWriter.Builder.maxPayloadBytes");
            }
        }
    }

    /** Inserts validated events in append order on {@code connection}, inside its transaction. */
    public void insert(Connection connection, List<OutboxEvent> events) {
        try {
            int from = 0;
            while (from < events.size()) {
                int to = chunkEnd(events, from);
                insertRows(connection, events.subList(from, to));
                from = to;
            }
            if (notifications != null) {
                try (PreparedStatement notify = connection.prepareStatement(notifications.notifySql())) {
                    notify.setString(1, channel);
                    notify.setString(2, "event");
                    notify.execute();
                }
            }
        } catch (SQLException e) {
            throw translate(e, events.size());
        }
    }

    /**
     * The end of the multi-row insert that starts at {@code from}: at most {@link
     * #MAX_ROWS_PER_INSERT} rows and, beyond its first row, at most {@link
     * #MAX_PAYLOAD_CHARS_PER_INSERT} characters of payload, so one statement stays far below
     * MySQL's {@code max_allowed_packet} (16 MiB by default) and the bind-parameter limits.
     */
    static int chunkEnd(List<OutboxEvent> events, int from) {
        int end = from + 1;
        long chars = events.get(from).payload().length();
        while (end < events.size() && end - from < MAX_ROWS_PER_INSERT) {
            chars += events.get(end).payload().length();
            if (chars > MAX_PAYLOAD_CHARS_PER_INSERT) {
                break;
            }
            end++;
        }
        return end;
    }

    /**
     * {@code INSERT INTO event (event_id, aggregate_type, aggregate_id, key_hash, event_type,
     * payload, headers) VALUES (...), (...)} for {@code rows} rows, bound by position, {@link
     * #COLUMNS} per row in that column order (the statement is rendered, bound and run in this
     * class only). No {@code RETURNING}: the application role needs INSERT only.
     */
    String insertSql(int rows) {
        if (rows < 1 || rows > MAX_ROWS_PER_INSERT) {
            throw new IllegalArgumentException("rows must be in [1, " + MAX_ROWS_PER_INSERT + "], was " + rows);
        }
        return inserts.computeIfAbsent(rows, this::renderInsert);
    }

    /** Bind parameters per inserted row. */
    private static final int COLUMNS = 7;

    private String renderInsert(int rows) {
        InsertValuesStep7<Record, Object, String, String, Integer, String, String, String> insert =
                insertInto(sql.event, EVENT_ID, AGGREGATE_TYPE, AGGREGATE_ID, KEY_HASH, EVENT_TYPE, PAYLOAD, HEADERS);
        for (int row = 0; row < rows; row++) {
            insert = insert.values(
                    param("event_id_" + row),
                    param("aggregate_type_" + row, String.class),
                    param("aggregate_id_" + row, String.class),
                    param("key_hash_" + row, Integer.class),
                    param("event_type_" + row, String.class),
                    param("payload_" + row, String.class),
                    param("headers_" + row, String.class));
        }
        Statement statement = sql.render(insert);
        if (statement.parameters().size() != rows * COLUMNS
                || !statement.parameters().get(0).equals("event_id_0")
                || !statement.parameters().get(COLUMNS - 1).equals("headers_0")) {
            throw new IllegalStateException("unexpected parameter order in " + statement);
        }
        return statement.sql();
    }

    private void insertRows(Connection connection, List<OutboxEvent> rows) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(insertSql(rows.size()))) {
            int index = 1;
            for (OutboxEvent event : rows) {
                dialect.bindUuid(insert, index++, event.eventId());
                setNullable(insert, index++, event.aggregateType());
                insert.setString(index++, event.aggregateId());
                // for partitioned consumers: neither database computes murmur2
                insert.setInt(index++, KeyPartitioner.keyHash(event.aggregateId()));
                insert.setString(index++, event.eventType());
                insert.setString(index++, event.payload());
                setNullable(insert, index++, HeadersJson.write(event.headers()));
            }
            insert.executeUpdate();
        }
    }

    private OutboxException translate(SQLException e, int count) {
        String table = sql.tables().qualified(sql.tables().eventTable());
        if (dialect.classify(e) == SqlFailure.UNDEFINED_OBJECT) {
            return new OutboxSchemaException(
                    "cannot append to " + table + ": the table does not exist or lacks columns (SQLState "
                            + e.getSQLState() + "). Run the outbox migration first: OutboxMigrations.migrate("
                            + "dataSource) or include dev/outbox/migrations/changelog.yaml in your Liquibase"
                            + " changelog",
                    e);
        }
        return new OutboxException(
                "appending " + count + " event(s) to " + table + " failed (SQLState " + e.getSQLState() + "): "
                        + e.getMessage(),
                e);
    }

    private static void setNullable(PreparedStatement statement, int index, @Nullable String value)
            throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.VARCHAR);
        } else {
            statement.setString(index, value);
        }
    }

    /** Whether {@code s} takes more than {@code limit} bytes in UTF-8; stops counting past it. */
    static boolean isOverUtf8Limit(String s, long limit) {
        if ((long) s.length() * 3 <= limit) {
            return false; // at most 3 bytes per UTF-16 unit
        }
        if (s.length() > limit) {
            return true; // at least 1 byte per UTF-16 unit
        }
        long bytes = 0;
        for (int i = 0; i < s.length() && bytes <= limit; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes > limit;
    }
}
