package dev.outbox.testsupport.faults;

import dev.outbox.testkit.ForwardingDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool wrapper that learns the server-side session id of each physical connection it hands out
 * (PostgreSQL {@code pg_backend_pid()}, MySQL/MariaDB {@code CONNECTION_ID()}), so that a test can
 * kill exactly those sessions from the server side, as a network failure or an administrator
 * would, and nobody else's.
 *
 * <p>The id is asked once per physical connection (the pool's proxy is unwrapped to find it), so
 * the wrapper costs one round trip per new connection. Thread-safe.
 */
public final class SessionTrackingDataSource extends ForwardingDataSource {

    private static final Logger LOG = LoggerFactory.getLogger(SessionTrackingDataSource.class);

    private final Map<Connection, Long> sessions = new WeakHashMap<>();
    private volatile boolean postgres;

    public SessionTrackingDataSource(DataSource pool) {
        super(pool);
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection connection = super.getConnection();
        try {
            Connection physical = connection.unwrap(Connection.class);
            boolean known;
            synchronized (sessions) {
                known = sessions.containsKey(physical);
            }
            if (!known) {
                boolean isPostgres =
                        connection.getMetaData().getDatabaseProductName().contains("PostgreSQL");
                postgres = isPostgres;
                try (Statement statement = connection.createStatement();
                        ResultSet rs = statement.executeQuery(
                                isPostgres ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()")) {
                    rs.next();
                    long id = rs.getLong(1);
                    synchronized (sessions) {
                        sessions.put(physical, id);
                    }
                }
            }
            return connection;
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** Server-side ids of the open physical connections handed out so far. */
    public List<Long> sessionIds() {
        List<Long> ids = new ArrayList<>();
        synchronized (sessions) {
            for (Map.Entry<Connection, Long> session : sessions.entrySet()) {
                try {
                    if (!session.getKey().isClosed()) {
                        ids.add(session.getValue());
                    }
                } catch (SQLException ignored) {
                    // closed
                }
            }
        }
        return ids;
    }

    /**
     * Kills every tracked session from the server side, through a connection of {@code admin}
     * (another pool, allowed to kill these sessions: the same user or a superuser).
     *
     * @return the ids of the sessions killed
     */
    public List<Long> killSessions(DataSource admin) throws SQLException {
        List<Long> ids = sessionIds();
        List<Long> killed = new ArrayList<>();
        try (Connection connection = admin.getConnection()) {
            for (long id : ids) {
                if (postgres) {
                    try (PreparedStatement kill = connection.prepareStatement("SELECT pg_terminate_backend(?)")) {
                        kill.setInt(1, (int) id);
                        try (ResultSet rs = kill.executeQuery()) {
                            if (rs.next() && rs.getBoolean(1)) {
                                killed.add(id);
                            }
                        }
                    }
                } else {
                    try (Statement kill = connection.createStatement()) {
                        kill.execute("KILL CONNECTION " + id);
                        killed.add(id);
                    } catch (SQLException e) {
                        LOG.debug("session {} was gone already: {}", id, e.getMessage());
                    }
                }
            }
        }
        synchronized (sessions) {
            sessions.values().removeIf(killed::contains);
        }
        return killed;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("use getConnection()");
    }
}
