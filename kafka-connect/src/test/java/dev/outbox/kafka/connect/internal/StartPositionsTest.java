package dev.outbox.kafka.connect.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StartPositionsTest {

    @Test
    void shouldResumeFromConnectsOffsetNotTheDatabaseRow() {
        assertThat(StartPositions.of("c", 0, 40L, 90L, 1)).isEqualTo(40);
        assertThat(StartPositions.of("c", 0, 40L, 10L, 1)).isEqualTo(40);
    }

    @Test
    void shouldStartAtTheRowWithoutAnOffsetElseAtTheRetainedLogsStart() {
        assertThat(StartPositions.of("c", 0, null, 90L, 1)).isEqualTo(90);
        assertThat(StartPositions.of("c", 0, null, 90L, 200)).isEqualTo(199);
        assertThat(StartPositions.of("c", 0, null, null, 200)).isEqualTo(199);
    }

    @Test
    void shouldAcceptAnOffsetBelowRetentionWhenTheRowShowsThoseEntriesDelivered() {
        // an idle partition's offset lags; its row moved on with the task's reads
        assertThat(StartPositions.of("c", 1, 5L, 500L, 400)).isEqualTo(5);
    }

    @Test
    void shouldRefuseToSkipEntriesRetentionRemovedBeforeTheyWereDelivered() {
        assertThatThrownBy(() -> StartPositions.of("orders", 2, 5L, 100L, 400))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("consumer 'orders' partition 2")
                .hasMessageContaining("from 6 to 399")
                .hasMessageContaining("PATCH /connectors/<name>/offsets");
        assertThatThrownBy(() -> StartPositions.of("orders", 2, 5L, null, 400))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldReadTheSeqOfAnOffset() {
        assertThat(StartPositions.seqOf(Map.of("seq", 7))).isEqualTo(7L);
        assertThat(StartPositions.seqOf(Map.of("seq", 7L))).isEqualTo(7L);
        assertThat(StartPositions.seqOf(null)).isNull();
        assertThat(StartPositions.seqOf(Map.of("other", 1))).isNull();
    }
}
