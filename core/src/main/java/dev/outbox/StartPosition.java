package dev.outbox;

/** Where a consumer that has no checkpoint yet starts reading the log. */
public enum StartPosition {
    /** At the oldest entry the log still holds: the consumer sees every retained event. */
    BEGINNING,
    /**
     * After the newest entry the log holds when the consumer's checkpoint is first created: the
     * consumer sees only events sequenced after that.
     */
    HEAD
}
