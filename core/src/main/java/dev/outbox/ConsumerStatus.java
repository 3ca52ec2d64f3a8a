package dev.outbox;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A consumer's state as the database records it, whichever relay runs it: read with {@link
 * OutboxRelay#status()}. A split consumer's fields roll its partitions up: the lowest checkpoint
 * (and the largest lag), the first blocked partition's seq, the earliest wait, the latest error, the
 * parked events of all; {@link #partitions()} has each. Immutable.
 *
 * @param name the consumer
 * @param registeredHere whether the relay that read this status registers the consumer; a row no
 *     relay registers any more holds log retention back until {@link
 *     OutboxRelay#deleteConsumer(String)} removes it
 * @param state running, blocked, waiting for its downstream, or stopped; of a split consumer: BLOCKED
 *     if a partition is, else WAITING_FOR_DOWNSTREAM if one waits, else RUNNING if a relay holds one
 * @param owner the relay that holds the consumer's lease, or {@code null} when none does; of a split
 *     consumer, the relays that hold its partitions' leases, sorted and joined by {@code ", "}
 * @param checkpoint the last seq the consumer processed (0 before the first)
 * @param lagEvents log entries after the checkpoint
 * @param lag age of the oldest log entry after the checkpoint ({@link Duration#ZERO} when none)
 * @param blockedAtSeq the seq a {@link FailurePolicy#BLOCK}ed consumer is stuck at, or {@code null}
 * @param waitingSince when the consumer began waiting for its downstream ({@link
 *     DownstreamUnavailableException}), or {@code null} when it is not waiting
 * @param lastError the error of the failure the consumer is in now (class and message): the
 *     handler's, or the relay's own; {@code null} once a delivery succeeded after it
 * @param lastErrorAt when {@code lastError} happened, or {@code null}
 * @param parkedCount events of this consumer in the dead-letter table waiting for a decision
 * @param partitions each partition's status, in order (one for a consumer that is not split; none
 *     for a consumer without rows)
 */
public record ConsumerStatus(
        String name,
        boolean registeredHere,
        State state,
        @Nullable String owner,
        long checkpoint,
        long lagEvents,
        Duration lag,
        @Nullable Long blockedAtSeq,
        @Nullable Instant waitingSince,
        @Nullable String lastError,
        @Nullable Instant lastErrorAt,
        long parkedCount,
        List<PartitionStatus> partitions) {

    public ConsumerStatus {
        partitions = List.copyOf(partitions);
    }

    /** What a consumer is doing. */
    public enum State {
        /** A relay holds its lease and delivers (possibly retrying a failed event). */
        RUNNING,
        /** A relay holds its lease but the consumer is stuck at {@code blockedAtSeq}. */
        BLOCKED,
        /**
         * A relay holds its lease and retries a delivery because the handler's downstream is
         * unavailable, since {@code waitingSince}; nothing is counted or parked meanwhile.
         */
        WAITING_FOR_DOWNSTREAM,
        /** No relay holds its lease: every relay that registers it is stopped, or none took it yet. */
        STOPPED
    }
}
