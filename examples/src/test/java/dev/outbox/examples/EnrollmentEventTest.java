package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.OutboxRecord;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EnrollmentEventTest {

    @Test
    void shouldReadBackWhatItWrote() {
        EnrollmentEvent event = new EnrollmentEvent(
                EnrollmentEvent.ENROLLED,
                7,
                "Ada \"Countess\" Lovelace \\ \u00e9\u4e2d\n",
                3,
                "Introduction to Distributed Systems");

        EnrollmentEvent read = EnrollmentEvent.from(record(event.type(), event.toJson()));

        assertThat(read).isEqualTo(event);
        assertThat(read.enrollmentKey()).isEqualTo("7:3");
    }

    @Test
    void shouldAcceptWhitespaceAndAnyFieldOrder() {
        String json = " { \"courseTitle\" : \"Compilers\" , \"courseId\" : 2, \"studentName\":\"Grace Hopper\","
                + " \"studentId\": 11 } ";

        EnrollmentEvent read = EnrollmentEvent.from(record(EnrollmentEvent.CANCELLED, json));

        assertThat(read).isEqualTo(new EnrollmentEvent(EnrollmentEvent.CANCELLED, 11, "Grace Hopper", 2, "Compilers"));
    }

    @Test
    void shouldRefuseAnUnknownEventType() {
        assertThatThrownBy(() -> EnrollmentEvent.from(record(
                        "CourseRenamed", new EnrollmentEvent(EnrollmentEvent.ENROLLED, 1, "A", 3, "B").toJson())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CourseRenamed");
    }

    private static OutboxRecord record(String type, String payload) {
        return new OutboxRecord(
                1, UUID.randomUUID(), "course", "3", type, payload, Map.of(), Instant.now(), Instant.now());
    }
}
