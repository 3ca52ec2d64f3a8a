package dev.outbox.postgres;

import dev.outbox.OutboxException;
import dev.outbox.postgres.internal.PostgresNotifications;
import dev.outbox.spi.Notifications;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.Map;
import java.util.UUID;
import java.util.WeakHashMap;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.postgresql.PGConnection;

/**
 * PostgreSQL 13 and later. Pass {@link #create()} to {@code OutboxWriter} and {@code OutboxRelay}.
 *
 * <p>What it sets: relay sessions in {@code READ COMMITTED}; event ids as {@code uuid}; times as
 * {@code timestamptz} from the server's clock; LISTEN/NOTIFY wake-ups when enabled. Immutable and
 * thread-safe.
 */
public final class PostgresDialect implements OutboxDialect {

    /** Oldest supported major version: 13 has {@code gen_random_uuid()} built in. */
    public static final int MINIMUM_MAJOR_VERSION = 13;

    private static final PostgresDialect INSTANCE = new PostgresDialect();

    private final Notifications notifications = new PostgresNotifications();

    /** Driver connections known to be in READ COMMITTED; see {@link #beginRelayTransaction}. */
    private final Map<Object, Boolean> readCommitted = Collections.synchronizedMap(new WeakHashMap<>());

    private PostgresDialect() {}

    public static PostgresDialect create() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return "PostgreSQL";
    }

    @Override
    public SQLDialect sqlDialect() {
        return SQLDialect.POSTGRES;
    }

    @Override
    public void checkServer(Connection connection) throws SQLException {
        DatabaseMetaData metaData = connection.getMetaData();
        if (metaData.getDatabaseMajorVersion() < MINIMUM_MAJOR_VERSION) {
            throw new OutboxException("outbox needs PostgreSQL " + MINIMUM_MAJOR_VERSION + " or later, this server is "
                    + metaData.getDatabaseProductVersion());
        }
    }

    /**
     * Puts the session in {@code READ COMMITTED} where it is not (PostgreSQL's default). Asking costs
     * a round trip with pgjdbc (it runs {@code SHOW TRANSACTION ISOLATION LEVEL} every time), so the
     * driver connections found in {@code READ COMMITTED} are remembered, weakly, and not asked again.
     * A connection the relay had to switch is asked again next time, because pools reset the level
     * when it is returned. A pool that hands out a connection whose level someone else changed without
     * resetting it makes the relay run at that level: a stricter level stays correct on PostgreSQL
     * (serialization failures are retried), it only costs retries.
     */
    @Override
    public void beginRelayTransaction(Connection connection) throws SQLException {
        Object driverConnection = connection.unwrap(PGConnection.class);
        if (readCommitted.containsKey(driverConnection)) {
            return;
        }
        if (connection.getTransactionIsolation() == Connection.TRANSACTION_READ_COMMITTED) {
            readCommitted.put(driverConnection, Boolean.TRUE);
        } else {
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
    }

    @Override
    public void bindUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
        statement.setObject(index, value);
    }

    @Override
    public UUID readUuid(ResultSet resultSet, int index) throws SQLException {
        return resultSet.getObject(index, UUID.class);
    }

    @Override
    public Instant readInstant(ResultSet resultSet, int index) throws SQLException {
        return resultSet.getObject(index, OffsetDateTime.class).toInstant();
    }

    /**
     * {@code statement_timestamp()}: the same for every row of one statement (a batch gets one
     * {@code sequenced_at}), and unlike {@code now()} not frozen at the start of the transaction.
     */
    @Override
    public Field<?> currentTime() {
        return DSL.field("statement_timestamp()");
    }

    @Override
    public Field<?> currentTimePlusMillis(Field<Long> millis) {
        return DSL.field("(statement_timestamp() + {0} * interval '1 millisecond')", Object.class, millis);
    }

    @Override
    public SqlFailure classify(SQLException exception) {
        String state = exception.getSQLState();
        return switch (state == null ? "" : state) {
            case "40P01", "55P03" -> SqlFailure.TRANSIENT; // deadlock, lock not available
            case "42P01", "42703", "3F000" -> SqlFailure.UNDEFINED_OBJECT; // table, column, schema
            case "57P01", "57P02", "57P03", "53300" -> SqlFailure.CONNECTION; // shutdown, crash, starting, too many
            default -> SqlFailure.standard(exception); // connection classes, 08xxx, 40001
        };
    }

    @Override
    public Notifications notifications() {
        return notifications;
    }

    @Override
    public String toString() {
        return "PostgresDialect";
    }
}
