package dev.outbox.testsupport.database;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.testkit.database.TestSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * A MySQL or MariaDB server found by {@link MySqlServers}. A test class's "schema" is a database of
 * its own, created with {@code utf8mb4}; its pools run every session in {@link #SESSION_TIME_ZONE}.
 */
public final class MySqlTestDatabase extends ServerTestDatabase {

    /**
     * Session time zone of test pools: not UTC, not a whole number of hours, and an offset rather
     * than a name, which needs no time-zone tables on the server.
     */
    public static final String SESSION_TIME_ZONE = "+05:45";

    // jdbc:mariadb://host:port/database?parameters (the database and the parameters optional)
    private static final Pattern URL = Pattern.compile("^(jdbc:(?:mariadb|mysql)://[^/?]+)(?:/([^?]*))?(?:\\?(.*))?$");

    private final String urlBase;
    private final String defaultDatabase;
    private final String parameters;
    private final boolean mariaDb;
    private final String version;
    private final String description;

    MySqlTestDatabase(String url, String user, @Nullable String password, String source) {
        super(user, password);
        Matcher matcher = URL.matcher(url);
        if (!matcher.matches()) {
            throw new IllegalStateException("not a jdbc:mariadb:// or jdbc:mysql:// URL: " + url);
        }
        this.urlBase = matcher.group(1);
        this.defaultDatabase = matcher.group(2) == null ? "" : matcher.group(2);
        this.parameters = matcher.group(3) == null ? "" : matcher.group(3);
        try (Connection connection = adminConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT VERSION()")) {
            rs.next();
            this.version = rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to " + url + " as " + user + ": " + e.getMessage(), e);
        }
        this.mariaDb = version.toLowerCase(Locale.ROOT).contains("mariadb");
        this.description = (mariaDb ? "MariaDB " : "MySQL ") + version + " (" + source + ")";
    }

    @Override
    public String description() {
        return description;
    }

    /** Whether the server is MariaDB (else MySQL). */
    public boolean isMariaDb() {
        return mariaDb;
    }

    /** {@code SELECT VERSION()}. */
    public String version() {
        return version;
    }

    /** The JDBC URL of {@code database} on this server, with the located URL's parameters. */
    public String url(String database) {
        return urlBase + "/" + database + (parameters.isEmpty() ? "" : "?" + parameters);
    }

    /** Host of the server, as in the URL. */
    public String host() {
        String hostPort = urlBase.substring(urlBase.indexOf("//") + 2);
        int colon = hostPort.lastIndexOf(':');
        return colon < 0 ? hostPort : hostPort.substring(0, colon);
    }

    /** Port of the server, as in the URL (3306 when it names none). */
    public int port() {
        String hostPort = urlBase.substring(urlBase.indexOf("//") + 2);
        int colon = hostPort.lastIndexOf(':');
        return colon < 0 ? 3306 : Integer.parseInt(hostPort.substring(colon + 1));
    }

    /** The located URL's database. */
    @Override
    String adminUrl() {
        return url(defaultDatabase);
    }

    @Override
    public TestSchema createSchema(String hint) {
        String database = schemaName(hint);
        execute("CREATE DATABASE `" + database + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        HikariConfig config = schemaPool(url(database), database);
        // The server is shared and its connection limit small: open connections when needed.
        config.setMinimumIdle(2);
        config.setConnectionInitSql("SET time_zone = '" + SESSION_TIME_ZONE + "'");
        HikariDataSource dataSource = new HikariDataSource(config);
        return new PooledTestSchema(database, dataSource, () -> {
            killSessions(database);
            execute("DROP DATABASE IF EXISTS `" + database + "`");
        });
    }

    /**
     * Creates a user with only INSERT on the event table (a table-level grant, which also lets it
     * select the database as its default) and a pool that logs in as that user.
     */
    @Override
    public DataSource insertOnlyDataSource(TestSchema schema, OutboxTables tables) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String role = "outbox_app_" + Integer.toHexString(random.nextInt(0x100000, 0xFFFFFF));
        String rolePassword = "app-" + Integer.toHexString(random.nextInt());
        String account = "'" + role + "'@'%'";
        execute(
                "CREATE USER " + account + " IDENTIFIED BY '" + rolePassword + "'",
                "GRANT INSERT ON `" + schema.name() + "`.`" + tables.eventTable() + "` TO " + account);
        HikariConfig config = insertOnlyPool(url(schema.name()), role, rolePassword);
        config.setMinimumIdle(1);
        config.setConnectionInitSql("SET time_zone = '" + SESSION_TIME_ZONE + "'");
        HikariDataSource dataSource = new HikariDataSource(config);
        schema.closeWith(() -> {
            dataSource.close();
            execute("DROP USER IF EXISTS " + account);
        });
        return dataSource;
    }

    @Override
    public void killConnections(TestSchema schema) {
        killSessions(schema.name());
    }

    /** KILLs every session whose default database is {@code database}: the test's pools. */
    private void killSessions(String database) {
        try (Connection connection = adminConnection()) {
            List<Long> ids = new ArrayList<>();
            try (PreparedStatement find = connection.prepareStatement(
                    "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()")) {
                find.setString(1, database);
                try (ResultSet rs = find.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
            try (Statement kill = connection.createStatement()) {
                for (long id : ids) {
                    try {
                        kill.execute("KILL " + id);
                    } catch (SQLException e) {
                        if (e.getErrorCode() != 1094) { // unknown thread id: it ended by itself
                            throw e;
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot kill the sessions on " + database + ": " + e.getMessage(), e);
        }
    }
}
