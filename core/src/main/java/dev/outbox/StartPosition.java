package dev.outbox;

/** Where a consumer that has no checkpoint yet starts reading the log. */
public enum StartPosition {
    /** At the oldest entry the log still holds: the consumer sees every retained event. */
    BEGINNING,
    /**
     * After the newest entry the log holds when the consumer's checkpoint is first created (when the
     * first relay that registers it starts): the consumer sees every event sequenced after that,
     * including events that were appended before but not yet sequenced.
     */
    HEAD
}
