package dev.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.kafka.history.KafkaClientsVersion;
import org.junit.jupiter.api.Test;

/**
 * Which kafka-clients the tests run with: the build's own, or in the second run of the tests (see
 * the module's pom) the version Spring Boot 3.5 manages. Fails if that run silently used another.
 */
class KafkaClientsVersionTest {

    @Test
    void shouldRunWithTheKafkaClientsThisRunIsFor() {
        String expected = System.getProperty("expected.kafka.clients");
        if (expected != null) {
            assertThat(KafkaClientsVersion.get()).isEqualTo(expected);
        }
        assertThat(KafkaClientsVersion.get()).isNotEqualTo("unknown");
    }
}
