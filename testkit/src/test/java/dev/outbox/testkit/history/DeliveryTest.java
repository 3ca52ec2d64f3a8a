package dev.outbox.testkit.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A relay process records deliveries as lines; the parent reads them back after killing it. */
class DeliveryTest {

    @Test
    void shouldReadBackWhatItWrote() {
        Delivery delivery =
                new Delivery("recorder", "process-4", "process-4#17", 100L, 42L, UUID.randomUUID(), "key-3", 105L);

        assertThat(Delivery.parse(delivery.toLine())).isEqualTo(delivery);
    }

    @Test
    void shouldRefuseALineCutShort() {
        String line = new Delivery("recorder", "r", "r#1", 1L, 2L, UUID.randomUUID(), "k", 3L).toLine();

        assertThatThrownBy(() -> Delivery.parse(line.substring(0, line.lastIndexOf('\t'))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldFormatTimeStampsOfTheHistoryClock() {
        assertThat(HistoryClock.format(1_700_000_000_123_456L)).isEqualTo("22:13:20.123456");
        assertThat(HistoryClock.format(Long.MAX_VALUE)).isEqualTo("unknown");
        assertThat(HistoryClock.nowMicros()).isGreaterThan(1_700_000_000_000_000L);
    }
}
