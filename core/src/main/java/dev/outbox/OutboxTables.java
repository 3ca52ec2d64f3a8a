package dev.outbox;

import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Where the outbox tables live: an optional schema (on MySQL/MariaDB, a database) and a table-name
 * prefix. Must match what the migration was run with (see {@code OutboxMigrations}).
 *
 * <p>Both are validated as plain lower-case identifiers ({@code [a-z_][a-z0-9_]*}) and always
 * rendered quoted, so they can never inject SQL and mean the same on every database. Immutable and
 * thread-safe.
 *
 * @param schema the schema holding the tables, or {@code null} for the connection's current schema
 * @param prefix prefix of every table name; default {@value #DEFAULT_PREFIX}
 */
public record OutboxTables(@Nullable String schema, String prefix) {

    /** The default table-name prefix: tables are {@code outbox_event}, {@code outbox_log}, ... */
    public static final String DEFAULT_PREFIX = "outbox_";

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");
    private static final int MAX_SCHEMA_LENGTH = 63;
    private static final int MAX_PREFIX_LENGTH = 40;

    public OutboxTables {
        Objects.requireNonNull(prefix, "prefix");
        if (schema != null) {
            requireIdentifier("schema", schema, MAX_SCHEMA_LENGTH, false);
        }
        requireIdentifier("prefix", prefix, MAX_PREFIX_LENGTH, true);
    }

    /** Tables {@code outbox_*} in the connection's current schema. */
    public static OutboxTables defaults() {
        return new OutboxTables(null, DEFAULT_PREFIX);
    }

    /** Tables {@code <prefix>*} in {@code schema} ({@code null}: the connection's current schema). */
    public static OutboxTables of(@Nullable String schema, String prefix) {
        return new OutboxTables(schema, prefix);
    }

    public OutboxTables withSchema(@Nullable String newSchema) {
        return new OutboxTables(newSchema, prefix);
    }

    public OutboxTables withPrefix(String newPrefix) {
        return new OutboxTables(schema, newPrefix);
    }

    /** The queue table the application appends to. */
    public String eventTable() {
        return prefix + "event";
    }

    /** The gap-free log consumers read. */
    public String logTable() {
        return prefix + "log";
    }

    /** The sequencer's single row: next seq, lock holder, schema version. */
    public String sequencerTable() {
        return prefix + "sequencer";
    }

    /** One row per consumer: checkpoint and lease. */
    public String consumerTable() {
        return prefix + "consumer";
    }

    /**
     * The relays serving each partitioned consumer, with their heartbeats: the members its
     * partitions are shared among.
     */
    public String relayTable() {
        return prefix + "relay";
    }

    /** Events consumers gave up on. */
    public String deadLetterTable() {
        return prefix + "dead_letter";
    }

    /** {@code schema.table} or {@code table}, unquoted, for messages. */
    public String qualified(String table) {
        return schema == null ? table : schema + "." + table;
    }

    private static void requireIdentifier(String what, String value, int maxLength, boolean mayBeEmpty) {
        if (value.isEmpty() && mayBeEmpty) {
            return;
        }
        if (!IDENTIFIER.matcher(value).matches() || value.length() > maxLength) {
            throw new OutboxConfigurationException("tables: " + what + " must be a lower-case identifier"
                    + " ([a-z_][a-z0-9_]*, at most " + maxLength + " characters), was '" + value + "'");
        }
    }
}
