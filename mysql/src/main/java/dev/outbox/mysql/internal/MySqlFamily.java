package dev.outbox.mysql.internal;

import dev.outbox.OutboxException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * What {@code MySqlDialect} and {@code MariaDbDialect} share: everything but the jOOQ dialect and
 * the server check's product and minimum version.
 *
 * <p><b>Time.</b> Every time column is {@code DATETIME(6)} holding UTC, written by {@code
 * UTC_TIMESTAMP(6)} (the column defaults and {@link #currentTime()}), and read back as a {@link
 * LocalDateTime} taken as UTC. Neither the session's {@code time_zone}, nor the JVM's default zone,
 * nor a driver's time-zone conversion setting is involved anywhere on that path, so the instants are
 * right whatever they are; {@code TIMESTAMP} would convert from and to the session zone on every
 * write and read (ambiguous in the hour a daylight-saving zone falls back, and the driver would
 * have to know the session zone to read it), and it ends in 2038. Lease expiry compares {@code
 * lease_until} with {@code UTC_TIMESTAMP(6)}: both on the server's clock, in the same zone.
 *
 * <p><b>Event ids</b> are {@code CHAR(36)} (ASCII) in the canonical text form, bound and read as
 * strings: the column default {@code (UUID())} gives plain-SQL inserts the same form on MySQL 8.0
 * and MariaDB 10.6 alike (MariaDB has no {@code UUID_TO_BIN}), and ids stay readable in any client.
 */
public final class MySqlFamily {

    private static final Field<?> NOW = DSL.field("utc_timestamp(6)");

    private MySqlFamily() {}

    /**
     * Refuses servers that are not {@code mariaDb} (MariaDB or MySQL as asked), older than {@code
     * minimum}, or connections that do not carry 4-byte UTF-8.
     */
    public static void checkServer(
            Connection connection, String dialectName, boolean mariaDb, ServerVersion minimum, String whyMinimum)
            throws SQLException {
        String version;
        String results;
        String client;
        try (Statement statement = connection.createStatement();
                ResultSet rs =
                        statement.executeQuery("SELECT VERSION(), @@character_set_results, @@character_set_client")) {
            rs.next();
            version = rs.getString(1);
            results = rs.getString(2);
            client = rs.getString(3);
        }
        ServerVersion server = ServerVersion.parse(version);
        if (server.mariaDb() != mariaDb) {
            throw new OutboxException(dialectName + " was given a connection to " + server.describe() + ": use "
                    + (server.mariaDb() ? "MariaDbDialect.create()" : "MySqlDialect.create()")
                    + " for this server (jOOQ renders SQL differently for MySQL and MariaDB)");
        }
        if (!server.atLeast(minimum.major(), minimum.minor(), minimum.patch())) {
            throw new OutboxException("outbox needs " + (mariaDb ? "MariaDB " : "MySQL ") + minimum.text()
                    + " or later, this server is " + server.describe() + ": " + whyMinimum);
        }
        if (!isUtf8mb4(client) || !(results == null || isUtf8mb4(results))) {
            throw new OutboxException("outbox needs connections in utf8mb4, this one has character_set_client="
                    + client + " and character_set_results=" + results + ": anything else cannot carry 4-byte"
                    + " characters (emoji) and would turn them into '?' or fail. Leave the driver's"
                    + " character encoding at its default (utf8mb4), or set characterEncoding=UTF-8 (MySQL"
                    + " Connector/J), and do not run SET NAMES with another character set");
        }
    }

    private static boolean isUtf8mb4(@Nullable String charset) {
        return "utf8mb4".equalsIgnoreCase(charset);
    }

    /**
     * {@code READ COMMITTED}: each statement reads its own fresh snapshot (the sequencer's batch read
     * sees every row committed before it), {@code INSERT ... SELECT} reads the queue without locking
     * it, and InnoDB takes no gap locks, so the relay never blocks writers' inserts into the queue.
     */
    public static void beginReadCommittedTransaction(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
        }
    }

    public static void bindUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
        statement.setString(index, value.toString());
    }

    public static UUID readUuid(ResultSet resultSet, int index) throws SQLException {
        String text = resultSet.getString(index);
        if (text == null) {
            throw new SQLException("event_id is NULL in column " + index + " of the result");
        }
        try {
            return UUID.fromString(text.trim());
        } catch (IllegalArgumentException e) {
            throw new SQLException("event_id '" + text + "' is not a UUID", "22000", e);
        }
    }

    /** A {@code DATETIME(6)} holding UTC; see the class comment. */
    public static Instant readInstant(ResultSet resultSet, int index) throws SQLException {
        LocalDateTime utc = resultSet.getObject(index, LocalDateTime.class);
        if (utc == null) {
            throw new SQLException("time column " + index + " of the result is NULL");
        }
        return utc.toInstant(ZoneOffset.UTC);
    }

    /**
     * Binds the UTC wall-clock time as a {@link LocalDateTime}, which drivers send as it is, with
     * no conversion to the JVM's or the session's zone. Microseconds are kept, finer is truncated.
     */
    public static void bindInstant(PreparedStatement statement, int index, Instant value) throws SQLException {
        statement.setObject(
                index, LocalDateTime.ofInstant(value, ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS));
    }

    /**
     * {@code UTC_TIMESTAMP(6)}: independent of the session time zone, microsecond precision, and the
     * same for every row of one statement (a batch gets one {@code sequenced_at}): MySQL and MariaDB
     * evaluate it once, at the start of the statement.
     */
    public static Field<?> currentTime() {
        return NOW;
    }

    public static Field<?> currentTimePlusMillis(Field<Long> millis) {
        return DSL.field("timestampadd(MICROSECOND, {0} * 1000, utc_timestamp(6))", Object.class, millis);
    }
}
