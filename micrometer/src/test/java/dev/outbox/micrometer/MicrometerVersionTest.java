package dev.outbox.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * Which Micrometer the tests run with: the build's own, or in the second run of the tests (see the
 * module's pom) the version Spring Boot 3.5 manages. Fails if that run silently used another.
 */
class MicrometerVersionTest {

    @Test
    void shouldRunWithTheMicrometerThisRunIsFor() {
        String running = MeterRegistry.class.getPackage().getImplementationVersion();
        assertThat(running).as("Implementation-Version of micrometer-core").isNotNull();
        String expected = System.getProperty("expected.micrometer");
        if (expected != null) {
            assertThat(running).isEqualTo(expected);
        }
    }
}
