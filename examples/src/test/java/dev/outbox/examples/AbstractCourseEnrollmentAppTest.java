package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Runs the whole example in-process, briefly, against a real server, in its own schema ({@code
 * course_example_test}), and expects it to end consistent. A subclass per database names the
 * server: a local default, or one given by environment variables.
 */
abstract class AbstractCourseEnrollmentAppTest {

    /**
     * A server to run on.
     *
     * @param howToProvide what to do when it is not reachable
     */
    record Server(String url, String user, Optional<String> password, String howToProvide) {

        /** The server named by {@code <prefix>_URL}, {@code _USER}, {@code _PASSWORD}, else the default. */
        static Server fromEnvironment(String prefix, String defaultUrl, String defaultUser, String howToProvide) {
            return new Server(
                    Optional.ofNullable(System.getenv(prefix + "_URL")).orElse(defaultUrl),
                    Optional.ofNullable(System.getenv(prefix + "_USER")).orElse(defaultUser),
                    Optional.ofNullable(System.getenv(prefix + "_PASSWORD")),
                    howToProvide);
        }
    }

    abstract Server server();

    @Test
    void shouldKeepTheReadModelAndTheSearchIndexConsistentWithTheBusinessTables() throws Exception {
        Server server = requireServer();
        List<String> args = new ArrayList<>(List.of(
                "--jdbc-url", server.url(),
                "--user", server.user(),
                "--schema", "course_example_test",
                "--clients", "4",
                "--operations", "3000",
                "--students", "300",
                "--courses", "12"));
        server.password().ifPresent(password -> args.addAll(List.of("--password", password)));
        Settings settings = Settings.parse(args.toArray(String[]::new)).orElseThrow();

        CourseEnrollmentApp.Report report = CourseEnrollmentApp.run(settings);

        assertThat(report.check().differences()).isEmpty();
        assertThat(report.consistent()).isTrue();
        assertThat(report.operations()).isEqualTo(3000);
        assertThat(report.eventsCommitted()).as("committed operations").isPositive();
        assertThat(report.rejected()).as("operations refused and rolled back").isPositive();
        assertThat(report.failed()).as("operations that failed unexpectedly").isZero();
        assertThat(report.enrollments()).isPositive();
        assertThat(report.searchHits())
                .as("enrolments in courses about 'distributed'")
                .isPositive();
    }

    private Server requireServer() {
        Server server = server();
        try (Connection connection = DriverManager.getConnection(
                server.url(), server.user(), server.password().orElse(null))) {
            assertThat(connection.isValid(5)).isTrue();
        } catch (SQLException e) {
            fail("this test needs a server: no connection to " + server.url() + " as " + server.user() + " ("
                    + e.getMessage() + "). " + server.howToProvide());
        }
        return server;
    }
}
