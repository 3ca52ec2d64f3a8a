package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.examples.spring.SpringEnrollmentApp;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the whole example in-process, briefly, against a real server, in its own schema ({@code
 * course_example_test}), and expects it to end consistent; the same for its Spring Boot edition and
 * for its path through Kafka.
 */
class CourseEnrollmentAppTest {

    static Stream<ExampleServer> servers() {
        return Stream.of(ExampleServer.postgres(), ExampleServer.mariaDb());
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("servers")
    void shouldKeepTheReadModelAndTheSearchIndexConsistentWithTheBusinessTables(ExampleServer server) throws Exception {
        Settings settings = server.require()
                .settings(
                        "course_example_test",
                        "--clients",
                        "4",
                        "--operations",
                        "3000",
                        "--students",
                        "300",
                        "--courses",
                        "12");

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

    @ParameterizedTest(name = "on {0}")
    @MethodSource("servers")
    void shouldEndConsistentAsASpringBootApplicationToo(ExampleServer server) throws Exception {
        Settings settings =
                server.require().settings("course_example_spring_test", "--clients", "4", "--operations", "2000");

        CourseEnrollmentApp.Report report = CourseEnrollmentApp.run(settings, SpringEnrollmentApp.wiring());

        assertThat(report.check().differences()).isEmpty();
        assertThat(report.consistent()).isTrue();
        assertThat(report.eventsCommitted()).as("committed operations").isPositive();
        assertThat(report.rejected()).as("operations refused and rolled back").isPositive();
        assertThat(report.failed()).as("operations that failed unexpectedly").isZero();
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("servers")
    void shouldKeepTheKafkaConsumersCountsConsistentToo(ExampleServer server) throws Exception {
        Settings settings = server.require()
                .settings("course_example_kafka_test", "--kafka", "--clients", "4", "--operations", "2000");

        CourseEnrollmentApp.Report report = CourseEnrollmentApp.run(settings);

        assertThat(report.check().differences()).isEmpty();
        assertThat(report.check().findings())
                .anySatisfy(
                        finding -> assertThat(finding).startsWith("Kafka topic outbox.event.course (read_committed)"))
                .anySatisfy(finding -> assertThat(finding)
                        .startsWith("Kafka consumer's counts:")
                        .contains("equal to GROUP BY over enrollments"));
    }
}
