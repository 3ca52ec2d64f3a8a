package dev.outbox.testkit.history;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What a writer did in one transaction and saw of it, recorded on the client side.
 *
 * @param txId unique id of the transaction ({@code w3-117}); also written to the business table
 *     and to each event's payload
 * @param key the business row the transaction updated, and the aggregate id of its events
 * @param version the version the transaction gave the row (the row's version + 1)
 * @param eventIds the events it appended, in append order
 * @param outcome what the client saw
 * @param appendBeganMicros when its event insert began ({@link HistoryClock}); no insert of its
 *     events happened before this time
 * @param commitReturnedMicros when its commit returned, or {@link Long#MAX_VALUE} if it did not
 *     return normally
 * @param heldMillis how long the transaction was deliberately held open (0 for a normal one)
 */
public record TransactionRecord(
        String txId,
        String key,
        long version,
        List<UUID> eventIds,
        Outcome outcome,
        long appendBeganMicros,
        long commitReturnedMicros,
        long heldMillis) {

    /** What the client saw of its transaction. */
    public enum Outcome {
        /** The commit returned normally. */
        COMMITTED,
        /** The client rolled back, or the transaction failed before its commit was sent. */
        ROLLED_BACK,
        /**
         * The commit was sent but failed (the connection broke): the transaction may or may not have
         * committed. The checker asks the database.
         */
        UNKNOWN
    }

    public TransactionRecord {
        Objects.requireNonNull(txId, "txId");
        Objects.requireNonNull(key, "key");
        eventIds = List.copyOf(eventIds);
        Objects.requireNonNull(outcome, "outcome");
    }

    @Override
    public String toString() {
        return "tx " + txId + " (key " + key + " v" + version + ", " + eventIds.size() + " events, " + outcome
                + ", append began " + HistoryClock.format(appendBeganMicros) + ", commit returned "
                + HistoryClock.format(commitReturnedMicros) + (heldMillis > 0 ? ", held " + heldMillis + " ms" : "")
                + ")";
    }
}
