package dev.outbox;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A consumer's state as the database records it, whichever relay runs it: read with {@link
 * OutboxRelay#status()}. Immutable.
 *
 * @param name the consumer
 * @param state running, blocked or stopped
 * @param owner the relay that holds the consumer's lease, or {@code null} when none does
 * @param checkpoint the last seq the consumer processed (0 before the first)
 * @param lagEvents log entries after the checkpoint
 * @param lag age of the oldest log entry after the checkpoint ({@link Duration#ZERO} when none)
 * @param blockedAtSeq the seq a {@link FailurePolicy#BLOCK}ed consumer is stuck at, or {@code null}
 * @param lastError the last handler error (class and message), or {@code null} after a success
 * @param lastErrorAt when {@code lastError} happened, or {@code null}
 * @param parkedCount events of this consumer in the dead-letter table waiting for a decision
 */
public record ConsumerStatus(
        String name,
        State state,
        @Nullable String owner,
        long checkpoint,
        long lagEvents,
        Duration lag,
        @Nullable Long blockedAtSeq,
        @Nullable String lastError,
        @Nullable Instant lastErrorAt,
        long parkedCount) {

    /** What a consumer is doing. */
    public enum State {
        /** A relay holds its lease and delivers (possibly retrying a failed event). */
        RUNNING,
        /** A relay holds its lease but the consumer is stuck at {@code blockedAtSeq}. */
        BLOCKED,
        /** No relay holds its lease: every relay that registers it is stopped, or none took it yet. */
        STOPPED
    }
}
