package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A server the example's tests run on: a local default, or one given by environment variables.
 *
 * @param howToProvide what to do when it is not reachable
 */
record ExampleServer(String name, String url, String user, Optional<String> password, String howToProvide) {

    static ExampleServer postgres() {
        return fromEnvironment(
                "PostgreSQL",
                "OUTBOX_TEST_POSTGRES",
                "jdbc:postgresql://127.0.0.1:5432/test",
                "postgres",
                "Start a local PostgreSQL on 127.0.0.1:5432 with a database 'test' that user 'postgres' can reach,"
                        + " or set OUTBOX_TEST_POSTGRES_URL (and _USER, _PASSWORD).");
    }

    static ExampleServer mariaDb() {
        return fromEnvironment(
                "MariaDB",
                "OUTBOX_TEST_MARIADB",
                "jdbc:mariadb://127.0.0.1:3306/test?sslMode=disable", // the local server has no TLS
                "root",
                "Start a local MariaDB 10.6+ on 127.0.0.1:3306 (user root without a password, database test), or"
                        + " set OUTBOX_TEST_MARIADB_URL (and _USER, _PASSWORD); the user must be allowed to"
                        + " create databases.");
    }

    /** The server named by {@code <prefix>_URL}, {@code _USER}, {@code _PASSWORD}, else the default. */
    private static ExampleServer fromEnvironment(
            String name, String prefix, String defaultUrl, String defaultUser, String howToProvide) {
        return new ExampleServer(
                name,
                Optional.ofNullable(System.getenv(prefix + "_URL")).orElse(defaultUrl),
                Optional.ofNullable(System.getenv(prefix + "_USER")).orElse(defaultUser),
                Optional.ofNullable(System.getenv(prefix + "_PASSWORD")),
                howToProvide);
    }

    /** This server, once it answered; fails with {@link #howToProvide()} when it does not. */
    ExampleServer require() {
        try (Connection connection = DriverManager.getConnection(url, user, password.orElse(null))) {
            assertThat(connection.isValid(5)).isTrue();
        } catch (SQLException e) {
            fail("this test needs a server: no connection to " + url + " as " + user + " (" + e.getMessage() + "). "
                    + howToProvide);
        }
        return this;
    }

    /** The settings of the example on this server, in {@code schema}, with {@code more} arguments. */
    Settings settings(String schema, String... more) {
        List<String> args = new ArrayList<>(List.of("--jdbc-url", url, "--user", user, "--schema", schema));
        args.addAll(List.of(more));
        Map<String, String> environment = password.map(secret -> Map.of(Settings.PASSWORD_VARIABLE, secret))
                .orElse(Map.of());
        return Settings.parse(environment, args.toArray(String[]::new)).orElseThrow();
    }

    @Override
    public String toString() {
        return name;
    }
}
