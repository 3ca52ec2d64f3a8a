package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EventInserterTest {

    @Test
    void shouldCountUtf8BytesNotCharacters() {
        assertThat(EventInserter.isOverUtf8Limit("a".repeat(10), 10)).isFalse();
        assertThat(EventInserter.isOverUtf8Limit("a".repeat(11), 10)).isTrue();
        assertThat(EventInserter.isOverUtf8Limit("\u00e9".repeat(5), 10)).isFalse(); // 2 bytes each
        assertThat(EventInserter.isOverUtf8Limit("\u00e9".repeat(6), 10)).isTrue();
        assertThat(EventInserter.isOverUtf8Limit("\u20ac".repeat(4), 12)).isFalse(); // 3 bytes each
        assertThat(EventInserter.isOverUtf8Limit("\uD83D\uDE00".repeat(3), 12)).isFalse(); // 4 bytes each
        assertThat(EventInserter.isOverUtf8Limit("\uD83D\uDE00".repeat(3) + "a", 12))
                .isTrue();
    }
}
