package dev.outbox.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import org.junit.jupiter.api.Test;

/**
 * Which OpenTelemetry the tests run with: the second surefire run ({@code opentelemetry-boot35})
 * puts the API and SDK that Spring Boot 3.5 manages in place of the ones the module is built
 * against, and says which in {@code expected.opentelemetry}; this checks that it did.
 */
class OpenTelemetryVersionTest {

    @Test
    void testsRunWithTheOpenTelemetryTheBuildAsksFor() {
        String expected = System.getProperty("expected.opentelemetry", System.getProperty("built.opentelemetry"));
        assertThat(expected).as("the surefire configuration names the version").isNotBlank();
        assertThat(OpenTelemetry.class.getPackage().getImplementationVersion()).isEqualTo(expected);
        assertThat(OpenTelemetrySdk.class.getPackage().getImplementationVersion())
                .isEqualTo(expected);
    }
}
