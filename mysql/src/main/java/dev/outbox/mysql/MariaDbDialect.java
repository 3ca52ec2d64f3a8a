package dev.outbox.mysql;

import dev.outbox.mysql.internal.MySqlFamily;
import dev.outbox.mysql.internal.ServerVersion;
import java.sql.Connection;
import java.sql.SQLException;
import org.jooq.SQLDialect;

/**
 * MariaDB 10.6 and later, with InnoDB tables. Pass {@link #create()} to {@code OutboxWriter} and
 * {@code OutboxRelay}; for MySQL use {@link MySqlDialect}. MariaDB is not an alias of MySQL here: jOOQ
 * renders {@link SQLDialect#MARIADB} differently, and the versions that matter differ.
 *
 * <p>What it sets: relay sessions in {@code READ COMMITTED}; event ids as {@code CHAR(36)} text;
 * times as {@code DATETIME(6)} in UTC from the server's clock ({@code UTC_TIMESTAMP(6)}), right
 * whatever the session's {@code time_zone}; deadlocks (1213) and lock wait timeouts (1205) retried,
 * lost connections treated as infrastructure failures. No server-side wake-ups: relays poll with
 * back-off, and a writer's {@code inTransaction} wakes relays in its own JVM.
 *
 * <p>Uses plain JDBC only; tested with MariaDB Connector/J. Immutable and thread-safe.
 */
public final class MariaDbDialect extends InnoDbDialect {

    /**
     * Oldest supported version: 10.6 brought SKIP LOCKED, which relays need for leases (the
     * auto-increment counter is persisted across restarts since 10.2.4; before, it was rebuilt as
     * MAX+1).
     */
    public static final String MINIMUM_VERSION = "10.6.0";

    private static final ServerVersion MINIMUM = ServerVersion.parse(MINIMUM_VERSION);

    private static final MariaDbDialect INSTANCE = new MariaDbDialect();

    private MariaDbDialect() {}

    public static MariaDbDialect create() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return "MariaDB";
    }

    @Override
    public SQLDialect sqlDialect() {
        return SQLDialect.MARIADB;
    }

    /**
     * Refuses MySQL (use {@link MySqlDialect}), MariaDB older than {@value #MINIMUM_VERSION} and
     * connections whose character set is not {@code utf8mb4}.
     */
    @Override
    public void checkServer(Connection connection) throws SQLException {
        MySqlFamily.checkServer(
                connection,
                "MariaDbDialect",
                true,
                MINIMUM,
                "MariaDB before 10.6 has no SKIP LOCKED, which relays need for leases, and before 10.2.4 it"
                        + " rebuilt the auto-increment counter as MAX(position)+1 on restart, which breaks the"
                        + " position order of a drained queue");
    }

    @Override
    public String toString() {
        return "MariaDbDialect";
    }
}
