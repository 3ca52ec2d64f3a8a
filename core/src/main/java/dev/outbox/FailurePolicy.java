package dev.outbox;

/**
 * What a consumer does with an event its handler still fails on after the last attempt of its
 * {@link RetryPolicy}. Whatever the policy, every log entry is, for each consumer, exactly one of:
 * delivered (exactly once for a transactional consumer), in the dead-letter table (parked or
 * discarded with a reason), or still ahead of the checkpoint. Nothing is ever skipped silently.
 *
 * <p>A {@link DownstreamUnavailableException} is not a failure of the event: it never counts as an
 * attempt and never leads to a policy.
 */
public enum FailurePolicy {
    /**
     * Stop at the event and keep retrying it at the capped interval ({@link
     * RetryPolicy#maxBackoff()}), for ever: nothing after it is delivered and nothing is skipped.
     * The consumer's status reports it as blocked at that seq with the error, whichever relay runs
     * it; the first successful delivery (a fixed handler, deployed on any relay) clears it. The
     * default: it is the only policy that keeps the consumer's total order.
     */
    BLOCK,
    /**
     * Move the event to the dead-letter table with the error and go on with the next one. Parked
     * events can be listed, re-driven or discarded through {@link OutboxRelay#deadLetters()}; a
     * re-driven event is delivered out of the consumer's order, after the events that passed it.
     */
    PARK,
    /**
     * Like {@link #PARK}, and every later event of the same {@code aggregateId} is parked behind it,
     * in seq order, without calling the handler, for as long as the key has events in the
     * dead-letter table (parked or waiting for re-drive). Other keys keep flowing. A re-drive
     * delivers the key's events in seq order (a re-drive of an event waits while an earlier event
     * of its key is parked and not asked for); when one fails again, the key's re-drive stops
     * there, and the requests for the rest wait until it is re-driven and delivered, or discarded.
     * Discarding the key's last dead letter lets its later events flow again.
     */
    PARK_KEY
}
