package dev.outbox.testsupport.database;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.mysql.MySQLContainer;

/**
 * Finds a MariaDB and a MySQL server for tests, each once per JVM. The two are separate: the
 * conformance suite runs against each with its own dialect, and a test that asks for MySQL must
 * never quietly run on MariaDB (or the reverse).
 *
 * <p>MariaDB ({@link #mariaDb()}), in this order:
 *
 * <ol>
 *   <li>{@code OUTBOX_TEST_MARIADB_URL} (with {@code OUTBOX_TEST_MARIADB_USER}, default {@code root},
 *       and {@code OUTBOX_TEST_MARIADB_PASSWORD});
 *   <li>the local server at {@code 127.0.0.1:3306}, database {@code test}, user {@code root} with no
 *       password;
 *   <li>a Testcontainers {@code mariadb:10.11} container when a Docker engine is present.
 * </ol>
 *
 * <p>MySQL ({@link #mySql()}), in this order:
 *
 * <ol>
 *   <li>{@code OUTBOX_TEST_MYSQL_URL} (with {@code OUTBOX_TEST_MYSQL_USER}, default {@code root}, and
 *       {@code OUTBOX_TEST_MYSQL_PASSWORD});
 *   <li>a Testcontainers {@code mysql:8.0} container when a Docker engine is present.
 * </ol>
 *
 * <p>With none, or when the server found is the other product, the call fails with a message that
 * says how to provide one; it never skips. {@code OUTBOX_TEST_MARIADB=url|local|testcontainers} and
 * {@code OUTBOX_TEST_MYSQL=url|testcontainers} (or the system properties {@code outbox.test.mariadb},
 * {@code outbox.test.mysql}) insist on one source. The user must be allowed to create databases and
 * users and to kill sessions.
 */
public final class MySqlServers {

    private static final Logger LOG = LoggerFactory.getLogger(MySqlServers.class);

    /** The local MariaDB. MariaDB Connector/J 3+ tries TLS by default; the local server has none. */
    static final String LOCAL_URL = "jdbc:mariadb://127.0.0.1:3306/test?sslMode=disable";

    private static @Nullable MySqlTestDatabase mariaDb;
    private static @Nullable MySqlTestDatabase mySql;

    private MySqlServers() {}

    /** The MariaDB server tests use; located on the first call. */
    public static synchronized MySqlTestDatabase mariaDb() {
        if (mariaDb == null) {
            mariaDb = requireProduct(findMariaDb(), true);
            LOG.info("MariaDB tests run on {}", mariaDb.description());
        }
        return mariaDb;
    }

    /** The MySQL server tests use; located on the first call. */
    public static synchronized MySqlTestDatabase mySql() {
        if (mySql == null) {
            mySql = requireProduct(findMySql(), false);
            LOG.info("MySQL tests run on {}", mySql.description());
        }
        return mySql;
    }

    private static MySqlTestDatabase findMariaDb() {
        String only = only("OUTBOX_TEST_MARIADB", List.of("url", "local", "testcontainers"));
        List<String> tried = new ArrayList<>();
        if (only == null || only.equals("url")) {
            MySqlTestDatabase fromUrl = fromUrl("OUTBOX_TEST_MARIADB", tried);
            if (fromUrl != null) {
                return fromUrl;
            }
        }
        if (only == null || only.equals("local")) {
            String failure = ServerLocator.probe(LOCAL_URL, "root", null);
            if (failure == null) {
                return new MySqlTestDatabase(LOCAL_URL, "root", null, "local server 127.0.0.1:3306");
            }
            tried.add("local server " + LOCAL_URL + " as root: " + failure);
        }
        if (only == null || only.equals("testcontainers")) {
            if (ServerLocator.dockerAvailable()) {
                return startMariaDbContainer();
            }
            tried.add("Testcontainers: no Docker engine");
        }
        throw new IllegalStateException("no MariaDB server for the tests"
                + (only == null ? "" : " (OUTBOX_TEST_MARIADB=" + only + ")") + ". Tried:\n  - "
                + String.join("\n  - ", tried)
                + "\nProvide one: start a local MariaDB 10.6+ on 127.0.0.1:3306 (user root without a password,"
                + " database test), or set OUTBOX_TEST_MARIADB_URL (and _USER, _PASSWORD), or start a Docker"
                + " engine for Testcontainers.");
    }

    private static MySqlTestDatabase findMySql() {
        String only = only("OUTBOX_TEST_MYSQL", List.of("url", "testcontainers"));
        List<String> tried = new ArrayList<>();
        if (only == null || only.equals("url")) {
            MySqlTestDatabase fromUrl = fromUrl("OUTBOX_TEST_MYSQL", tried);
            if (fromUrl != null) {
                return fromUrl;
            }
        }
        if (only == null || only.equals("testcontainers")) {
            if (ServerLocator.dockerAvailable()) {
                MySQLContainer container = new MySQLContainer("mysql:8.0")
                        .withUsername("root")
                        .withPassword("test")
                        .withStartupTimeout(Duration.ofMinutes(3));
                container.start();
                return new MySqlTestDatabase(
                        container.getJdbcUrl(), "root", "test", "Testcontainers " + container.getDockerImageName());
            }
            tried.add("Testcontainers: no Docker engine");
        }
        throw new IllegalStateException("no MySQL server for the MySQL tests"
                + (only == null ? "" : " (OUTBOX_TEST_MYSQL=" + only + ")") + ". Tried:\n  - "
                + String.join("\n  - ", tried)
                + "\nProvide one: set OUTBOX_TEST_MYSQL_URL to a MySQL 8.0.13+ server, for example"
                + " jdbc:mysql://127.0.0.1:3307/test?allowPublicKeyRetrieval=true&useSSL=false (and"
                + " OUTBOX_TEST_MYSQL_USER, _PASSWORD; the user must create databases and users), or start a"
                + " Docker engine for Testcontainers. These tests run only when asked for (mvn -Pmysql8, or"
                + " OUTBOX_TEST_MYSQL_URL set), and then they must not be skipped.");
    }

    /** The server at {@code <prefix>_URL}, null when it is not set; an error when it does not work. */
    private static @Nullable MySqlTestDatabase fromUrl(String prefix, List<String> tried) {
        String url = ServerLocator.setting(prefix + "_URL");
        if (url == null) {
            tried.add(prefix + "_URL: not set");
            return null;
        }
        String user = ServerLocator.setting(prefix + "_USER");
        user = user == null ? "root" : user;
        String password = ServerLocator.setting(prefix + "_PASSWORD");
        String failure = ServerLocator.probe(url, user, password);
        if (failure != null) {
            // An explicit URL that does not work is an error, not a reason to test elsewhere.
            throw new IllegalStateException(prefix + "_URL=" + url + " is set but no connection could be made as user "
                    + user + ": " + failure);
        }
        return new MySqlTestDatabase(url, user, password, prefix + "_URL " + url);
    }

    private static MySqlTestDatabase startMariaDbContainer() {
        GenericContainer<?> container = new GenericContainer<>("mariadb:10.11")
                .withEnv("MARIADB_ROOT_PASSWORD", "test")
                .withEnv("MARIADB_DATABASE", "test")
                .withExposedPorts(3306)
                // The entrypoint first starts a temporary server without networking (port: 0).
                .waitingFor(Wait.forLogMessage(".*port: 3306 .*", 1).withStartupTimeout(Duration.ofMinutes(3)));
        container.start();
        String url =
                "jdbc:mariadb://" + container.getHost() + ":" + container.getMappedPort(3306) + "/test?sslMode=disable";
        return new MySqlTestDatabase(url, "root", "test", "Testcontainers mariadb:10.11");
    }

    private static MySqlTestDatabase requireProduct(MySqlTestDatabase database, boolean mariaDb) {
        if (database.isMariaDb() != mariaDb) {
            throw new IllegalStateException((mariaDb ? "the MariaDB tests" : "the MySQL tests") + " were given "
                    + database.description() + ", which is " + (mariaDb ? "MySQL" : "MariaDB") + ": set "
                    + (mariaDb ? "OUTBOX_TEST_MARIADB_URL" : "OUTBOX_TEST_MYSQL_URL") + " to a "
                    + (mariaDb ? "MariaDB" : "MySQL") + " server");
        }
        return database;
    }

    private static @Nullable String only(String variable, List<String> allowed) {
        String only = ServerLocator.setting(variable);
        if (only != null && !allowed.contains(only)) {
            throw new IllegalStateException(
                    variable + " must be one of " + String.join(", ", allowed) + "; was " + only);
        }
        return only;
    }
}
