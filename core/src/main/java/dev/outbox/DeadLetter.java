package dev.outbox;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * An event a consumer gave up on ({@link FailurePolicy#PARK}, {@link FailurePolicy#PARK_KEY}), with
 * the error. Immutable.
 *
 * @param consumer the consumer that parked it
 * @param record the event as it was delivered
 * @param status parked, waiting for re-drive, or being re-driven now
 * @param errorClass class of the handler's exception; {@code null} for an event parked behind
 *     an earlier parked event of its key
 * @param errorMessage the exception's message, or why the event was parked without a delivery
 * @param stackHead the first frames of the stack trace, or {@code null}
 * @param attempts deliveries tried (0 for an event parked behind its key)
 * @param firstFailedAt first failed attempt (the time it was parked when {@code attempts} is 0)
 * @param lastFailedAt last failed attempt
 */
public record DeadLetter(
        String consumer,
        OutboxRecord record,
        Status status,
        @Nullable String errorClass,
        @Nullable String errorMessage,
        @Nullable String stackHead,
        int attempts,
        Instant firstFailedAt,
        Instant lastFailedAt) {

    /** Where a dead letter is in its life. Discarded dead letters are kept for audit, not listed. */
    public enum Status {
        /** Parked: waits for a re-drive or a discard. */
        PARKED,
        /** A re-drive was asked for; the relay that runs the consumer delivers it soon. */
        REDRIVE_REQUESTED,
        /**
         * The relay that runs the consumer is delivering it now; it cannot be discarded until that
         * delivery ends (re-driven: the row is gone; failed: parked again).
         */
        REDRIVING,
        /** Given up with a reason; never delivered. Kept for audit. */
        DISCARDED
    }
}
