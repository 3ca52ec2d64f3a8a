package dev.outbox.kafka.connect.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveryTrackerTest {

    @Test
    void shouldMovePastABatchOnlyOnceKafkaAcknowledgedEachOfItsRecords() {
        DeliveryTracker tracker = new DeliveryTracker(10);
        tracker.polled(20, List.of(12L, 15L));
        tracker.polled(30, List.of(25L));
        assertThat(tracker.delivered()).isEqualTo(10);
        tracker.acknowledged(25); // a later batch first: it waits for the earlier one
        assertThat(tracker.delivered()).isEqualTo(10);
        tracker.acknowledged(12);
        assertThat(tracker.delivered()).isEqualTo(10);
        tracker.acknowledged(15);
        assertThat(tracker.delivered()).isEqualTo(30);
    }

    @Test
    void shouldCountABatchWithoutRecordsOfItsPartitionsDeliveredOnceTheEarlierOnesAre() {
        DeliveryTracker tracker = new DeliveryTracker(0);
        tracker.polled(5, List.of(3L));
        tracker.polled(9, List.of());
        assertThat(tracker.delivered()).isZero();
        tracker.acknowledged(3);
        assertThat(tracker.delivered()).isEqualTo(9);
        tracker.acknowledged(2); // delivered before: ignored
        assertThat(tracker.delivered()).isEqualTo(9);
    }

    @Test
    void shouldRefuseARecordOutsideItsBatch() {
        DeliveryTracker tracker = new DeliveryTracker(10);
        assertThatThrownBy(() -> tracker.polled(20, List.of(10L))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tracker.polled(20, List.of(21L))).isInstanceOf(IllegalArgumentException.class);
    }
}
