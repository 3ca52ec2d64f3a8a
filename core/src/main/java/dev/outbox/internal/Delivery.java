package dev.outbox.internal;

import dev.outbox.DeadLetter;
import dev.outbox.OutboxRecord;
import dev.outbox.PartialSuccessException;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;
import org.jspecify.annotations.Nullable;

/**
 * How one kind of consumer hands log entries to its handler and saves what was handled: {@link
 * AtLeastOnceDelivery} (no transaction open while the handler runs) or {@link
 * TransactionalDelivery} (the handler's writes and the checkpoint in one transaction). The
 * consumer loop decides what to deliver and what a failure means; a delivery only does it.
 */
sealed interface Delivery permits AtLeastOnceDelivery, TransactionalDelivery {

    /** What a delivery of the entries after the checkpoint came to. */
    sealed interface Outcome permits Empty, Delivered, Failed {}

    /** Nothing to read after the checkpoint. */
    record Empty() implements Outcome {}

    /**
     * Every entry up to {@code lastSeq} was handled (or parked behind its key) and the checkpoint
     * saved there; {@code clearedFailure}: the status's failure state was cleared with it.
     */
    record Delivered(long lastSeq, int entries, boolean clearedFailure) implements Outcome {}

    /**
     * The handler failed.
     *
     * @param checkpoint the checkpoint now: past every entry before {@code remaining} that an
     *     at-least-once delivery could save, the one it started from for a transactional delivery
     * @param remaining the handed entries from the first one not known to have succeeded
     * @param located whether the handler said which entry failed (the first of {@code remaining})
     * @param cause what it threw (the cause of a {@link PartialSuccessException})
     */
    record Failed(long checkpoint, List<OutboxRecord> remaining, boolean located, Throwable cause) implements Outcome {}

    /** What a re-drive of one dead letter came to. */
    sealed interface Redelivery permits Redelivered, NotClaimed, RedeliveryFailed {}

    /** Delivered; the dead letter is gone. */
    record Redelivered() implements Redelivery {}

    /** Discarded or withdrawn before it could be delivered: nothing was done. */
    record NotClaimed() implements Redelivery {}

    /** The handler failed on it again. */
    record RedeliveryFailed(Throwable cause) implements Redelivery {}

    /**
     * Reads up to {@code limit} entries after {@code checkpoint}, hands the ones of keys not in
     * {@code parkedKeys} to the handler, and saves the checkpoint after them (parking the others
     * behind their key in the same write); clears the failure state with it when {@code
     * clearsFailure} accepts the batch's last seq.
     *
     * @throws LeaseLostException if the lease was lost: nothing of the batch is saved
     * @throws LogGapException if the log has a hole after the checkpoint
     */
    Outcome deliver(long checkpoint, int limit, Set<String> parkedKeys, LongPredicate clearsFailure)
            throws SQLException;

    /**
     * Delivers a dead letter waiting for re-drive on its own and removes it once delivered. It is
     * claimed first, so a discard that comes first wins and one that comes later is refused.
     *
     * @throws LeaseLostException if the lease was lost
     */
    Redelivery redeliver(DeadLetter deadLetter) throws SQLException;

    /**
     * Where what a handler threw says its batch failed, or {@code null} when it reports every one
     * of {@code handed} processed (a {@link PartialSuccessException} counting them all).
     */
    static @Nullable Failed failure(long checkpoint, List<OutboxRecord> handed, Throwable thrown) {
        if (thrown instanceof PartialSuccessException partial) {
            if (partial.processed() >= handed.size()) {
                return null;
            }
            return new Failed(checkpoint, handed.subList(partial.processed(), handed.size()), true, partial.getCause());
        }
        return new Failed(checkpoint, handed, false, thrown);
    }
}
