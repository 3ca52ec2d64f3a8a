package dev.outbox;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One partition of a consumer, as the database records it: see {@link ConsumerStatus}, whose
 * fields these are for the partition alone. Immutable.
 *
 * @param partition the partition, 0 for a consumer that is not split
 * @param state running, blocked, waiting for its downstream, or stopped
 * @param owner the relay that holds the partition's lease, or {@code null} when none does
 * @param checkpoint the last seq the partition processed (its own events, or past other partitions')
 * @param lagEvents log entries after the checkpoint, of every partition (an upper bound of the
 *     partition's own: counting them would read the log)
 * @param lag age of the oldest log entry after the checkpoint ({@link Duration#ZERO} when none)
 * @param blockedAtSeq the seq the partition is stuck at, or {@code null}
 * @param waitingSince when it began waiting for its downstream, or {@code null}
 * @param lastError the error of the failure it is in now, or {@code null}
 * @param lastErrorAt when {@code lastError} happened, or {@code null}
 * @param parkedCount dead letters of the partition waiting for a decision
 */
public record PartitionStatus(
        int partition,
        ConsumerStatus.State state,
        @Nullable String owner,
        long checkpoint,
        long lagEvents,
        Duration lag,
        @Nullable Long blockedAtSeq,
        @Nullable Instant waitingSince,
        @Nullable String lastError,
        @Nullable Instant lastErrorAt,
        long parkedCount) {}
