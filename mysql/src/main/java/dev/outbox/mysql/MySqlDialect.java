package dev.outbox.mysql;

import dev.outbox.mysql.internal.MySqlFamily;
import dev.outbox.mysql.internal.ServerVersion;
import java.sql.Connection;
import java.sql.SQLException;
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
public final class MySqlDialect extends InnoDbDialect {

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

    @Override
    public String toString() {
        return "MySqlDialect";
    }
}
