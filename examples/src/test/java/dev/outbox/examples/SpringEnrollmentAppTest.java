package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.examples.spring.SpringEnrollmentApp;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the Spring Boot edition of the example in-process, briefly, against a real server, and
 * expects the same consistency check as the plain edition to pass.
 */
class SpringEnrollmentAppTest {

    static Stream<ExampleServer> servers() {
        return Stream.of(ExampleServer.postgres(), ExampleServer.mariaDb());
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("servers")
    void shouldKeepTheDerivedSystemsConsistentAsASpringBootApplication(ExampleServer server) throws Exception {
        Settings settings = server.require()
                .settings(
                        "course_example_spring_test",
                        "--clients",
                        "4",
                        "--operations",
                        "2000",
                        "--students",
                        "300",
                        "--courses",
                        "12");

        CourseEnrollmentApp.Report report = CourseEnrollmentApp.run(settings, SpringEnrollmentApp.wiring());

        assertThat(report.check().differences()).isEmpty();
        assertThat(report.consistent()).isTrue();
        assertThat(report.eventsCommitted()).as("committed operations").isPositive();
        assertThat(report.rejected()).as("operations refused and rolled back").isPositive();
        assertThat(report.failed()).as("operations that failed unexpectedly").isZero();
        assertThat(report.searchHits()).isPositive();
    }
}
