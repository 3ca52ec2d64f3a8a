package dev.outbox.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * When a transaction held open on the checkpoint topic is called hanging in the log: the one seen in
 * a history run (a lone broker killed in the middle of a commit: its coordinator completed the
 * commit after a restart without a marker for the partition, producer 2 epoch 1 open, the
 * coordinator at COMPLETE_COMMIT epoch 1) and its neighbours.
 */
class CheckpointTopicTest {

    @ParameterizedTest(name = "open at epoch 1, coordinator {0} producer {1} epoch {2}: hanging {3}")
    @CsvSource({
        // the history run's: the coordinator completed the commit, the partition never got the marker
        "COMPLETE_COMMIT, 2, 1, true",
        "COMPLETE_ABORT, 2, 1, true",
        "EMPTY, 2, 1, true",
        // the producer was fenced by a later epoch, whose own transaction is open
        "ONGOING, 2, 2, true",
        // a producer id handed out afresh (epoch exhausted)
        "ONGOING, 3, 0, true",
        // an ordinary open transaction
        "ONGOING, 2, 1, false",
        // markers on their way: not hanging yet, whatever the epoch (transactions version 2 bumps it)
        "PREPARE_COMMIT, 2, 2, false",
        "PREPARE_ABORT, 2, 2, false",
        "PREPARE_EPOCH_FENCE, 2, 1, false",
        "UNKNOWN, 2, 1, false"
    })
    void shouldCallHangingOnlyATransactionItsCoordinatorHasMovedPast(
            TransactionState state, long coordinatorProducerId, int coordinatorEpoch, boolean hanging) {
        ProducerState open = new ProducerState(2, 1, 5, 0L, OptionalInt.of(0), OptionalLong.of(24));
        TransactionDescription coordinator = new TransactionDescription(
                1, state, coordinatorProducerId, coordinatorEpoch, 60_000, OptionalLong.empty(), Set.of());

        assertThat(CheckpointTopic.isHanging(open, coordinator)).isEqualTo(hanging);
    }
}
