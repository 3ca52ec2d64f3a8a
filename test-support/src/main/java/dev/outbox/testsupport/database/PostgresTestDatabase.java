package dev.outbox.testsupport.database;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.testkit.database.TestSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/** A PostgreSQL server found by {@link PostgresServers}. */
public final class PostgresTestDatabase extends ServerTestDatabase {

    /** Session time zone of test pools: not UTC, and not a whole number of hours. */
    public static final String SESSION_TIME_ZONE = "America/St_Johns";

    private final String url;
    private final String description;

    PostgresTestDatabase(String url, String user, @Nullable String password, String source) {
        super(user, password);
        this.url = url;
        String version;
        try (Connection connection = adminConnection()) {
            version = connection.getMetaData().getDatabaseProductVersion();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to " + url, e);
        }
        this.description = "PostgreSQL " + version + " (" + source + ")";
    }

    @Override
    public String description() {
        return description;
    }

    /** The JDBC URL of the server's test database. */
    public String url() {
        return url;
    }

    @Override
    String adminUrl() {
        return url;
    }

    @Override
    public TestSchema createSchema(String hint) {
        String schema = schemaName(hint);
        execute("CREATE SCHEMA \"" + schema + "\"");
        HikariConfig config = schemaPool(url, schema);
        config.setSchema(schema);
        config.addDataSourceProperty("ApplicationName", applicationName(schema));
        config.setConnectionInitSql("SET TIME ZONE '" + SESSION_TIME_ZONE + "'");
        HikariDataSource dataSource = new HikariDataSource(config);
        return new PooledTestSchema(schema, dataSource, () -> {
            killSessions(applicationName(schema));
            execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
        });
    }

    @Override
    public DataSource insertOnlyDataSource(TestSchema schema, OutboxTables tables) {
        String role = schema.name() + "_app";
        String rolePassword =
                "app-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        String eventTable = "\"" + schema.name() + "\".\"" + tables.eventTable() + "\"";
        execute(
                "CREATE ROLE \"" + role + "\" LOGIN PASSWORD '" + rolePassword + "'",
                "GRANT USAGE ON SCHEMA \"" + schema.name() + "\" TO \"" + role + "\"",
                "GRANT INSERT ON " + eventTable + " TO \"" + role + "\"");
        HikariConfig config = insertOnlyPool(url, role, rolePassword);
        config.setSchema(schema.name());
        config.addDataSourceProperty("ApplicationName", applicationName(schema.name()));
        HikariDataSource dataSource = new HikariDataSource(config);
        schema.closeWith(() -> {
            dataSource.close();
            execute("DROP OWNED BY \"" + role + "\"", "DROP ROLE \"" + role + "\"");
        });
        return dataSource;
    }

    @Override
    public void killConnections(TestSchema schema) {
        killSessions(applicationName(schema.name()));
    }

    private void killSessions(String applicationName) {
        execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + applicationName
                + "' AND pid <> pg_backend_pid()");
    }

    private static String applicationName(String schema) {
        return "outbox-test-" + schema;
    }
}
