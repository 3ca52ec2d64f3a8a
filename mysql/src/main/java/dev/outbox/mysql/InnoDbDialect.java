package dev.outbox.mysql;

import dev.outbox.mysql.internal.MySqlErrors;
import dev.outbox.mysql.internal.MySqlFamily;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;
import org.jooq.Field;

/**
 * What {@link MySqlDialect} and {@link MariaDbDialect} share: InnoDB tables, UTC {@code
 * DATETIME(6)} times, {@code CHAR(36)} event ids, the MySQL error codes. Each subclass names its
 * product, its jOOQ dialect and its version check.
 */
abstract class InnoDbDialect implements OutboxDialect {

    /**
     * {@code SET TRANSACTION ISOLATION LEVEL READ COMMITTED}, which applies to the next transaction
     * only: each statement reads a fresh snapshot, the sequencer's {@code INSERT ... SELECT} reads the
     * queue without locking it, and no gap locks block writers. Nothing is left on the session, so the
     * pool has nothing to reset (setting the level through JDBC cost a round trip to set it and one
     * for the pool to reset it, on every borrow).
     */
    @Override
    public void beginRelayTransaction(Connection connection) throws SQLException {
        MySqlFamily.beginReadCommittedTransaction(connection);
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

    /**
     * InnoDB's locking range scans read the index record just past the range (and wait for its
     * lock when another transaction is inserting it): the sequencer deletes by exact positions.
     */
    @Override
    public boolean lockingRangeScansReadPastTheirEnd() {
        return true;
    }

    @Override
    public boolean lockingScansLockEveryRowTheyRead() {
        return true;
    }
}
