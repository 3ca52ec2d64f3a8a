package dev.outbox.spi;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jspecify.annotations.Nullable;

/**
 * What differs per database. Passed explicitly by the user ({@code PostgresDialect.create()}); one
 * instance is immutable, thread-safe and may be shared by any number of writers and relays.
 *
 * <p>The engine renders its statements with jOOQ in {@link #sqlDialect()}; the methods here cover
 * what jOOQ cannot know: column types as bound over JDBC, time arithmetic on lease columns, session
 * settings, error classification and optional server-side wake-ups.
 */
public interface OutboxDialect {

    /** The product name used in messages, for example {@code "PostgreSQL"}. */
    String name();

    /** The jOOQ dialect that renders this database's SQL. */
    SQLDialect sqlDialect();

    /**
     * Checks that the server is a supported version and throws {@link dev.outbox.OutboxException}
     * with a message that says why it is not. Called once on a relay's first connection.
     */
    void checkServer(Connection connection) throws SQLException;

    /**
     * Starts one of the relay's transactions in {@code READ COMMITTED}: called on a borrowed
     * connection right after auto-commit was turned off, before the transaction's first statement.
     * The relay's auto-committed statements (polls, lease renewals, reads of the log) do not call
     * it: single statements need no isolation level of their own. Must leave behind no state that
     * outlives the transaction, except what a pool resets on return (JDBC's {@code
     * setTransactionIsolation}): the pool may be the application's.
     */
    void beginRelayTransaction(Connection connection) throws SQLException;

    /** Binds an event id to a parameter of the {@code event_id} column's type. */
    void bindUuid(PreparedStatement statement, int index, UUID value) throws SQLException;

    /** Reads an {@code event_id} column. */
    UUID readUuid(ResultSet resultSet, int index) throws SQLException;

    /** Reads a time column. */
    Instant readInstant(ResultSet resultSet, int index) throws SQLException;

    /**
     * Binds a time the relay computed (when a handler failed, from the relay's clock) to a parameter
     * compared with or stored in a time column. The default binds an {@link OffsetDateTime} in UTC.
     */
    default void bindInstant(PreparedStatement statement, int index, Instant value) throws SQLException {
        statement.setObject(index, OffsetDateTime.ofInstant(value, ZoneOffset.UTC));
    }

    /**
     * The database's current time, as stored in {@code created_at}, {@code sequenced_at} and lease
     * columns. Leases compare only database times, so clocks of relay hosts never matter.
     */
    Field<?> currentTime();

    /** {@link #currentTime()} plus a number of milliseconds given by {@code millis}. */
    Field<?> currentTimePlusMillis(Field<Long> millis);

    /**
     * Whether a locking range scan of the queue ({@code DELETE ... WHERE position BETWEEN a AND b})
     * reads, and so waits for, the index record just past the range: true for InnoDB, where that
     * record may be the uncommitted insert of a long transaction, which would stall the log until
     * that transaction ended. Where true, the sequencer deletes each run of consecutive positions of
     * its batch with {@code DELETE ... ORDER BY position LIMIT n}, which stops at the run's last row
     * (an {@code IN} list does not help: consecutive values are merged into a range). Default {@code
     * false} (PostgreSQL: a range scan skips rows it cannot see and locks nothing beyond them).
     */
    default boolean lockingRangeScansReadPastTheirEnd() {
        return false;
    }

    /**
     * Whether an auto-committed {@code UPDATE} locks every row its scan reads, not only the rows it
     * changes: true for InnoDB in its default {@code REPEATABLE READ}, where such a scan waits for
     * each row another transaction holds. Where true, the relay's renewal of its leases, which names
     * its rows by primary key, is pinned to the primary key with an index hint ({@code FORCE INDEX
     * (PRIMARY)}): on a small table the optimizer would otherwise scan it, and wait for the row of a
     * batch another relay runs. Default {@code false} (PostgreSQL locks only rows that match).
     */
    default boolean lockingScansLockEveryRowTheyRead() {
        return false;
    }

    /** What a database error means to the relay. */
    SqlFailure classify(SQLException exception);

    /** Server-side wake-ups, or {@code null} where the database has none. */
    default @Nullable Notifications notifications() {
        return null;
    }
}
