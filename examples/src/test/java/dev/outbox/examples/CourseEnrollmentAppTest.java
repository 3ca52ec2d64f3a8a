package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs the whole example in-process, briefly, against a real PostgreSQL server: the local one at
 * {@code 127.0.0.1:5432} (database {@code test}, user {@code postgres}), or the one named by {@code
 * OUTBOX_TEST_POSTGRES_URL} (with {@code OUTBOX_TEST_POSTGRES_USER} and {@code
 * OUTBOX_TEST_POSTGRES_PASSWORD}). Works in its own schema, {@code course_example_test}.
 */
class CourseEnrollmentAppTest {

    private static final String URL = Optional.ofNullable(System.getenv("OUTBOX_TEST_POSTGRES_URL"))
            .orElse("jdbc:postgresql://127.0.0.1:5432/test");
    private static final String USER =
            Optional.ofNullable(System.getenv("OUTBOX_TEST_POSTGRES_USER")).orElse("postgres");
    private static final Optional<String> PASSWORD =
            Optional.ofNullable(System.getenv("OUTBOX_TEST_POSTGRES_PASSWORD"));

    @BeforeAll
    static void requireServer() {
        try (Connection connection = DriverManager.getConnection(URL, USER, PASSWORD.orElse(null))) {
            assertThat(connection.isValid(5)).isTrue();
        } catch (SQLException e) {
            fail("this test needs a PostgreSQL server: no connection to " + URL + " as " + USER + " ("
                    + e.getMessage() + "). Start a local server on 127.0.0.1:5432 with a database 'test' that user"
                    + " 'postgres' can reach, or set OUTBOX_TEST_POSTGRES_URL (and _USER, _PASSWORD).");
        }
    }

    @Test
    void shouldKeepTheReadModelAndTheSearchIndexConsistentWithTheBusinessTables() throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--jdbc-url", URL,
                "--user", USER,
                "--schema", "course_example_test",
                "--clients", "4",
                "--operations", "3000",
                "--students", "300",
                "--courses", "12"));
        PASSWORD.ifPresent(password -> args.addAll(List.of("--password", password)));
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
}
