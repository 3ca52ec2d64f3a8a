package dev.outbox.testsupport.database;

import com.zaxxer.hikari.HikariConfig;
import dev.outbox.testkit.database.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * What {@link PostgresTestDatabase} and {@link MySqlTestDatabase} share: an administrative login to
 * the server, with connections and statements as that user, and the pools of test schemas.
 */
abstract class ServerTestDatabase implements TestDatabase {

    private final String user;
    private final @Nullable String password;

    ServerTestDatabase(String user, @Nullable String password) {
        this.user = user;
        this.password = password;
    }

    /** The JDBC URL of the administrative connections: a database outside every test schema. */
    abstract String adminUrl();

    /** The administrative user: may create schemas, databases and users, and kill sessions. */
    public final String user() {
        return user;
    }

    public final @Nullable String password() {
        return password;
    }

    /** A connection as the administrative user, outside every test schema. */
    public final Connection adminConnection() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password);
        }
        return DriverManager.getConnection(adminUrl(), properties);
    }

    /** Runs statements as the administrative user. */
    public final void execute(String... statements) {
        try (Connection connection = adminConnection();
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("failed: " + String.join("; ", statements) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The pool of a test schema as the administrative user, named {@code test-<name>}, before the
     * settings of the server's kind (schema, time zone).
     */
    final HikariConfig schemaPool(String url, String name) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        if (password != null) {
            config.setPassword(password);
        }
        config.setPoolName("test-" + name);
        config.setMaximumPoolSize(24);
        config.setConnectionTimeout(10_000);
        return config;
    }

    /**
     * The pool of a user that may only insert into the event table, named {@code test-<role>},
     * before the settings of the server's kind.
     */
    static HikariConfig insertOnlyPool(String url, String role, String rolePassword) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(role);
        config.setPassword(rolePassword);
        config.setPoolName("test-" + role);
        config.setMaximumPoolSize(4);
        return config;
    }

    /** A new schema name, {@code outbox_<hint>_<random>}: lower case, safe to quote on every server. */
    static String schemaName(String hint) {
        String clean = hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
        if (clean.length() > 30) {
            clean = clean.substring(0, 30);
        }
        return "outbox_" + clean + "_"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    }
}
