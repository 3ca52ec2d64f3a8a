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

    @Test
    void shouldSplitInsertsByRowCountAndByPayloadSize() {
        java.util.List<dev.outbox.OutboxEvent> small =
                java.util.Collections.nCopies(1200, dev.outbox.OutboxEvent.of("k", "E", "{}"));
        assertThat(EventInserter.chunkEnd(small, 0)).isEqualTo(OutboxSql.MAX_ROWS_PER_INSERT);
        assertThat(EventInserter.chunkEnd(small, 1000)).isEqualTo(1200);

        String oneMiB = "x".repeat(1 << 20);
        java.util.List<dev.outbox.OutboxEvent> large =
                java.util.Collections.nCopies(10, dev.outbox.OutboxEvent.of("k", "E", oneMiB));
        assertThat(EventInserter.chunkEnd(large, 0)).isEqualTo(4);
        assertThat(EventInserter.chunkEnd(large, 8)).isEqualTo(10);

        String fiveMiB = "x".repeat(5 << 20);
        assertThat(EventInserter.chunkEnd(java.util.List.of(dev.outbox.OutboxEvent.of("k", "E", fiveMiB)), 0))
                .isEqualTo(1);
    }
}
