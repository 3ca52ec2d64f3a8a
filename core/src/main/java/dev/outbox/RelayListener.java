package dev.outbox;

import java.time.Duration;

/**
 * Told what a relay's loops do, as they do it: for metrics (see the {@code outbox-micrometer}
 * module) and other instrumentation. Add one with {@link OutboxRelay#addListener(RelayListener)}.
 *
 * <p>Called on the relay's own threads, right after the work it reports and outside any transaction:
 * keep it quick and never block. What it throws is logged and otherwise ignored; it cannot change
 * what the relay does. Every method has an empty default.
 */
public interface RelayListener {

    /**
     * A batch of consumer {@code consumer}'s partition {@code partition} (0 for a consumer that is not
     * split) was handled and its checkpoint saved.
     *
     * @param events the log entries the checkpoint moved past (those parked behind their key among them)
     * @param took from the read of the batch to its saved checkpoint
     */
    default void delivered(String consumer, int partition, int events, Duration took) {}

    /**
     * A delivery of consumer {@code consumer}'s partition {@code partition} failed, and the relay
     * reacted as {@code reaction} says.
     *
     * @param cause what the handler threw (the cause of a {@link PartialSuccessException})
     */
    default void failed(String consumer, int partition, Throwable cause, Reaction reaction) {}

    /**
     * The sequencer of this relay moved {@code events} queued events into the log in one batch.
     *
     * @param took from the batch's read of the queue to its commit
     */
    default void sequenced(int events, Duration took) {}

    /** What the relay does about a failed delivery. */
    enum Reaction {
        /**
         * The failing entry is tried again after the retry policy's back-off; or, when the batch
         * failed without saying where, fewer of its entries are tried to find the failing one.
         */
        RETRY,
        /** The failing entry blocks the consumer ({@link FailurePolicy#BLOCK}), retried until it succeeds. */
        BLOCK,
        /** The failing entry was parked in the dead-letter table ({@link FailurePolicy#PARK}, {@code PARK_KEY}). */
        PARK,
        /** The handler's downstream is unavailable: retried with back-off, nothing counted or parked. */
        WAIT_FOR_DOWNSTREAM
    }
}
