package dev.outbox.mysql;

import dev.outbox.mysql.internal.MySqlErrors;
import dev.outbox.mysql.internal.MySqlFamily;
import dev.outbox.mysql.internal.ServerVersion;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;
import org.jooq.Field;
import org.jooq.SQLDialect;

/**
 * MySQL 8.0.13 and later, with InnoDB tables. Pass {@link #create()} to {@code OutboxWriter} and
 * {@code OutboxRelay}; for MariaDB use {@link MariaDbDialect}.
 *
 * <p>What it sets: relay sessions in {@code READ COMMITTED}; event ids as {@code CHAR(36)} text;
 * times as {@code DATETIME(6)} in UTC from the server's clock ({@code UTC_TIMESTAMP(6)}), right
 * whatever the session's {@code time_zone}; deadlocks (1213) and lock wait timeouts (1205) retried,
 * lost connections treated as infrastructure failures. No server-side wake-ups: relays poll with
 * back-off, and a writer's {@code inTransaction} wakes relays in its own JVM.
 *
 * <p>Uses plain JDBC only, for MySQL Connector/J in the first place. Immutable and thread-safe.
 */
public final class MySqlDialect implements OutboxDialect {

    /**
     * Oldest supported version. 8.0 persists the auto-increment counter (older servers rebuild it
     * as MAX+1 on restart) and has SKIP LOCKED; 8.0.13 allows the expression defaults ({@code
     * (UUID())}, {@code (UTC_TIMESTAMP(6))}) that let a plain SQL insert append an event.
     */
    public static final String MINIMUM_VERSION = "8.0.13";

    private static final ServerVersion MINIMUM = ServerVersion.parse(MINIMUM_VERSION);

    private static final MySqlDialect INSTANCE = new MySqlDialect();

    private MySqlDialect() {}

    public static MySqlDialect create() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return "MySQL";
    }

    @Override
    public SQLDialect sqlDialect() {
        return SQLDialect.MYSQL;
    }

    /**
     * Refuses MariaDB (use {@link MariaDbDialect}), MySQL older than {@value #MINIMUM_VERSION} and
     * connections whose character set is not {@code utf8mb4}.
     */
    @Override
    public void checkServer(Connection connection) throws SQLException {
        MySqlFamily.checkServer(
                connection,
                "MySqlDialect",
                false,
                MINIMUM,
                "before 8.0 MySQL rebuilds the auto-increment counter as MAX(position)+1 on restart, which"
                        + " breaks the position order of a drained queue, and it has no SKIP LOCKED, which"
                        + " relays need for leases; 8.0.13 brought the expression defaults (UUID(),"
                        + " UTC_TIMESTAMP(6)) the migration gives event_id and created_at");
    }

    /**
     * Sets {@code READ COMMITTED}: each statement reads a fresh snapshot, the sequencer's {@code
     * INSERT ... SELECT} reads the queue without locking it, and no gap locks block writers.
     */
    @Override
    public void prepareRelaySession(Connection connection) throws SQLException {
        MySqlFamily.prepareRelaySession(connection);
    }

    @Override
    public void bindUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
        MySqlFamily.bindUuid(statement, index, value);
    }

    @Override
    public UUID readUuid(ResultSet resultSet, int index) throws SQLException {
        return MySqlFamily.readUuid(resultSet, index);
    }

    /**
     * Reads a {@code DATETIME(6)} holding UTC as a {@link java.time.LocalDateTime} (no driver or
     * session time-zone conversion applies to it) and takes it as UTC.
     */
    @Override
    public Instant readInstant(ResultSet resultSet, int index) throws SQLException {
        return MySqlFamily.readInstant(resultSet, index);
    }

    /** A {@code DATETIME(6)} in UTC, as the columns hold it: see {@link #readInstant}. */
    @Override
    public void bindInstant(PreparedStatement statement, int index, Instant value) throws SQLException {
        MySqlFamily.bindInstant(statement, index, value);
    }

    /** {@code UTC_TIMESTAMP(6)}: once per statement, microseconds, UTC whatever the session zone. */
    @Override
    public Field<?> currentTime() {
        return MySqlFamily.currentTime();
    }

    @Override
    public Field<?> currentTimePlusMillis(Field<Long> millis) {
        return MySqlFamily.currentTimePlusMillis(millis);
    }

    @Override
    public SqlFailure classify(SQLException exception) {
        return MySqlErrors.classify(exception);
    }

    @Override
    public String toString() {
        return "MySqlDialect";
    }
}
