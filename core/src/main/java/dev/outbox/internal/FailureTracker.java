package dev.outbox.internal;

import dev.outbox.FailurePolicy;
import dev.outbox.OutboxRecord;
import dev.outbox.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * The failure state of one consumer's deliveries and the decisions it leads to: which event is
 * failing and how often, how far a failed batch is bisected, when the next attempt is due, when the
 * failure policy applies, and whether the consumer waits for its downstream. Pure: no JDBC, no
 * clock of its own (the loop passes the time), so every rule has a fast test.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li>A failure counts as an attempt only against the event right after the checkpoint: the
 *       delivery saved every event before the failing one first (at-least-once), or the failure
 *       names an event further on whose predecessors were rolled back with it (transactional), and
 *       then those are delivered first, on their own.
 *   <li>A batch that failed without saying where is bisected: delivered half as many events at a
 *       time until the failing one is alone.
 *   <li>After {@link RetryPolicy#maxAttempts()} the {@link FailurePolicy} decides: block (retry at
 *       {@link RetryPolicy#maxBackoff()} for ever), or park.
 *   <li>The downstream being unavailable is never counted, never bisected, never parked: the
 *       delivery is retried with the retry policy's back-off until it succeeds. A deadlock or lock
 *       timeout is retried at once a few times before it is treated the same way.
 * </ul>
 *
 * <p>One per consumer loop; not thread-safe.
 */
final class FailureTracker {

    /** Deadlocks and lock timeouts retried at once, quietly, before they count as a wait. */
    static final int QUIET_TRANSIENT_RETRIES = 5;

    /** What kind of failure a handler call ended in. */
    enum Kind {
        /** The handler failed on an event: counted, retried, then the failure policy. */
        HANDLER,
        /** The handler's downstream is unavailable: waited out, never counted. */
        DOWNSTREAM,
        /** A deadlock or lock timeout: retried at once a few times, then like {@link #DOWNSTREAM}. */
        TRANSIENT
    }

    /**
     * A failed handler call.
     *
     * @param remaining the events handed to the handler from the first one not known to have
     *     succeeded on (all of them, unless the handler reported partial success)
     * @param located whether the handler said which event failed: the first of {@code remaining}
     * @param kind what the failure means
     */
    record Failure(List<OutboxRecord> remaining, boolean located, Kind kind) {
        Failure {
            remaining = List.copyOf(remaining);
            if (remaining.isEmpty()) {
                throw new IllegalArgumentException("a failure names at least one event");
            }
            Objects.requireNonNull(kind, "kind");
        }
    }

    /** What the loop does after a failed handler call. */
    sealed interface Decision {

        /**
         * Deliver again at {@code at}. {@code event} is the event whose attempt {@code attempt}
         * failed, or {@code null} when no attempt was counted (a bisection, a located failure whose
         * predecessors go first, a quick retry of a deadlock).
         */
        record Retry(Instant at, @Nullable OutboxRecord event, int attempt) implements Decision {}

        /** Blocked at {@code event}: retried at {@code retryAt}; {@code newly} on the first block. */
        record Block(OutboxRecord event, Instant retryAt, int attempts, boolean newly) implements Decision {}

        /** Park {@code event} (and move the checkpoint onto it). */
        record Park(OutboxRecord event, int attempts, Instant firstFailedAt) implements Decision {}

        /** The downstream is unavailable: retry at {@code retryAt}; {@code began} on its first failure. */
        record WaitForDownstream(Instant retryAt, boolean began) implements Decision {}
    }

    private final RetryPolicy retry;
    private final FailurePolicy policy;
    private final RandomGenerator random;

    // The event that fails now, if any.
    private long failingSeq = -1;
    private int attempts;
    private @Nullable Instant firstFailedAt;
    private boolean blocked;
    private @Nullable Instant nextAttemptAt;

    // Bisection: deliver at most isolationLimit events per call until the checkpoint passes isolateUntil.
    private long isolateUntil = -1;
    private int isolationLimit = 1;

    // Waiting for the downstream.
    private @Nullable Instant waitingSince;
    private int downstreamFailures;
    private int transientInARow;

    FailureTracker(RetryPolicy retry, FailurePolicy policy, RandomGenerator random) {
        this.retry = Objects.requireNonNull(retry, "retry");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** How many log entries to read after {@code checkpoint} for the next handler call. */
    int limit(long checkpoint, int batchSize) {
        int limit = batchSize;
        if (isolateUntil > checkpoint) {
            limit = Math.min(limit, isolationLimit);
        }
        if (failingSeq > checkpoint) {
            long before = failingSeq - checkpoint - 1;
            limit = (int) Math.min(limit, before == 0 ? 1 : before);
        }
        return limit;
    }

    /**
     * The last seq the next read may hand out: while an event fails, the events before it (then it
     * alone); {@link Long#MAX_VALUE} otherwise. {@link #limit} says the same in entries for a log read
     * without holes; a split consumer's partition, whose entries have holes, needs the seq.
     */
    long readUpTo(long checkpoint) {
        if (failingSeq > checkpoint) {
            return failingSeq - checkpoint - 1 == 0 ? failingSeq : failingSeq - 1;
        }
        return Long.MAX_VALUE;
    }

    /** When the next delivery may be tried, or {@code null} for at once. */
    @Nullable
    Instant nextAttemptAt() {
        return nextAttemptAt;
    }

    /** Whether the consumer is blocked (its failing event exhausted its attempts under BLOCK). */
    boolean blocked() {
        return blocked;
    }

    /** The event that fails now, or -1. */
    long failingSeq() {
        return failingSeq;
    }

    /** Since when the consumer waits for its downstream, or {@code null}. */
    @Nullable
    Instant waitingSince() {
        return waitingSince;
    }

    /** Decides what follows a failed handler call; {@code checkpoint} is after the progress was saved. */
    Decision failed(Failure failure, long checkpoint, Instant now) {
        OutboxRecord first = failure.remaining().get(0);
        if (failure.located() && first.seq() != checkpoint + 1) {
            return locate(first, now);
        }
        switch (failure.kind()) {
            case TRANSIENT -> {
                if (++transientInARow <= QUIET_TRANSIENT_RETRIES) {
                    nextAttemptAt = now.plus(Duration.ofMillis(5L * transientInARow));
                    return new Decision.Retry(nextAttemptAt, null, 0);
                }
                return waitForDownstream(now);
            }
            case DOWNSTREAM -> {
                return waitForDownstream(now);
            }
            case HANDLER -> {
                return handlerFailed(failure, checkpoint, now);
            }
        }
        throw new IllegalStateException("unknown kind " + failure.kind());
    }

    /** Records that the downstream is unavailable and decides when to try again. */
    Decision.WaitForDownstream waitForDownstream(Instant now) {
        boolean began = waitingSince == null;
        if (began) {
            waitingSince = now;
        }
        downstreamFailures++;
        nextAttemptAt = now.plus(retry.backoff(downstreamFailures, random));
        return new Decision.WaitForDownstream(nextAttemptAt, began);
    }

    private Decision handlerFailed(Failure failure, long checkpoint, Instant now) {
        // The downstream answered, with an error about this delivery: the wait is over.
        waitingSince = null;
        downstreamFailures = 0;
        transientInARow = 0;
        List<OutboxRecord> remaining = failure.remaining();
        if (!failure.located() && remaining.size() > 1) {
            // Bisect: a handler with a cost per call (a commit, an HTTP request) finds the failing
            // event in log2(n) calls, and a transient failure costs a few calls, not n. Halved in
            // entries, not seqs: a split consumer's partition has holes (other partitions' entries)
            // between its seqs, and half the seq range could hold all of its entries again.
            long last = remaining.get(remaining.size() - 1).seq();
            isolateUntil = Math.max(isolateUntil, last);
            isolationLimit = Math.max(1, remaining.size() / 2);
            nextAttemptAt = null;
            return new Decision.Retry(now, null, 0);
        }
        OutboxRecord event = remaining.get(0);
        if (event.seq() != checkpoint + 1) {
            return locate(event, now);
        }
        track(event.seq(), now);
        attempts++;
        if (attempts < retry.maxAttempts()) {
            nextAttemptAt = now.plus(retry.backoff(attempts, random));
            return new Decision.Retry(nextAttemptAt, event, attempts);
        }
        if (policy == FailurePolicy.BLOCK) {
            boolean newly = !blocked;
            blocked = true;
            nextAttemptAt = now.plus(retry.maxBackoff());
            return new Decision.Block(event, nextAttemptAt, attempts, newly);
        }
        return new Decision.Park(event, attempts, Objects.requireNonNull(firstFailedAt));
    }

    /**
     * The failing event is known, but the events before it were rolled back with it (a
     * transactional batch): they go first, as one batch of their own, then the failing event is
     * tried alone. Nothing is counted yet.
     */
    private Decision locate(OutboxRecord event, Instant now) {
        track(event.seq(), now);
        nextAttemptAt = null;
        return new Decision.Retry(now, null, 0);
    }

    private void track(long seq, Instant now) {
        if (seq != failingSeq) {
            failingSeq = seq;
            attempts = 0;
            firstFailedAt = now;
            blocked = false;
        }
    }

    /**
     * Whether a successful delivery up to {@code seq} would leave no failure behind: then the loop
     * clears the status with the checkpoint.
     */
    boolean resolvedBy(long seq) {
        return failingSeq < 0 || seq >= failingSeq;
    }

    /** Records that a delivery went through: the downstream, if it was unavailable, is back. */
    void downstreamAnswered() {
        transientInARow = 0;
        waitingSince = null;
        downstreamFailures = 0;
        nextAttemptAt = null;
    }

    /** Records that every event up to {@code seq} was delivered (or parked). */
    void delivered(long seq) {
        downstreamAnswered();
        if (failingSeq >= 0 && seq >= failingSeq) {
            failingSeq = -1;
            attempts = 0;
            firstFailedAt = null;
            blocked = false;
        }
        if (isolateUntil <= seq) {
            isolateUntil = -1;
        }
    }

    /**
     * Takes up a block recorded by a relay that ran the consumer before: the first attempt at
     * {@code seq} comes at once, and if it fails the consumer is blocked again without going
     * through the retries once more.
     */
    void restoreBlock(long seq, Instant now) {
        reset();
        track(seq, now);
        attempts = Math.max(0, retry.maxAttempts() - 1);
        blocked = policy == FailurePolicy.BLOCK;
    }

    /** Forgets everything: the lease was taken over or lost, the checkpoint may have moved. */
    void reset() {
        failingSeq = -1;
        attempts = 0;
        firstFailedAt = null;
        blocked = false;
        nextAttemptAt = null;
        isolateUntil = -1;
        isolationLimit = 1;
        waitingSince = null;
        downstreamFailures = 0;
        transientInARow = 0;
    }
}
