package dev.outbox;

/** What a consumer does with an event its handler still fails on after the last retry. */
public enum FailurePolicy {
    /**
     * Stop at the event and keep retrying it at the capped interval, for ever: nothing after it is
     * delivered and nothing is skipped. The consumer's status reports it as blocked at that seq with
     * the error. The default: it is the only policy that keeps the consumer's total order.
     */
    BLOCK,
    /**
     * Move the event to the dead-letter table with the error and go on with the next one. Parked
     * events can be listed, re-driven or discarded through {@link OutboxRelay#deadLetters()}.
     */
    PARK,
    /**
     * Like {@link #PARK}, and later events of the same {@code aggregateId} are parked behind it
     * (without calling the handler) until the key's parked events are re-driven or discarded: other
     * keys keep flowing while one key's order is kept.
     */
    PARK_KEY
}
