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
     * saved there; {@code entries}: the log rows read; {@code clearedFailure}: the status's failure
     * state was cleared with it; {@code more}: more entries may be read at once.
     */
    record Delivered(long lastSeq, int entries, boolean clearedFailure, boolean more) implements Outcome {}

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

    /**
     * What a re-drive of some dead letters came to. The letters neither delivered nor failed
     * (discarded meanwhile, or after the failed one) are left waiting for re-drive.
     *
     * @param delivered the letters delivered and removed, in seq order
     * @param failed the letter the handler failed on, when it is known (the handler said which, or
     *     it was handed one letter), else {@code null}
     * @param cause what the handler threw, or {@code null} when it succeeded
     */
    record Redelivery(
            List<DeadLetter> delivered,
            @Nullable DeadLetter failed,
            @Nullable Throwable cause) {
        public Redelivery {
            delivered = List.copyOf(delivered);
        }
    }

    /**
     * Reads up to {@code limit} entries after {@code checkpoint} (a partition: none after {@code
     * maxSeq}; the rows of a consumer that is not split are bounded by the limit), hands the ones of keys not in
     * {@code parkedKeys} to the handler, and saves the checkpoint after them (parking the others
     * behind their key in the same write); clears the failure state with it when {@code
     * clearsFailure} accepts the batch's last seq.
     *
     * @throws LeaseLostException if the lease was lost: nothing of the batch is saved
     * @throws LogGapException if the log has a hole after the checkpoint
     */
    Outcome deliver(long checkpoint, long maxSeq, int limit, Set<String> parkedKeys, LongPredicate clearsFailure)
            throws SQLException;

    /**
     * Delivers dead letters waiting for re-drive, in seq order, as one batch, and removes them once
     * delivered. They are claimed first, so a discard that comes first wins and one that comes later
     * is refused.
     *
     * @throws LeaseLostException if the lease was lost
     */
    Redelivery redeliver(List<DeadLetter> deadLetters) throws SQLException;

    /**
     * The lease ended (given up, lost, or the relay stops): closes what the handler kept for it.
     * Must not throw.
     */
    void leaseEnded();

    /**
     * The outcome of a re-drive whose handler threw {@code thrown} on the records of {@code
     * claimed}: the letters before the failing one count as delivered when {@code keepProcessed}
     * (at-least-once: they were processed and are removed) and the failing one is known when the
     * handler said which or there was only one.
     */
    static Redelivery redeliveryFailed(List<DeadLetter> claimed, Throwable thrown, boolean keepProcessed) {
        List<OutboxRecord> records = claimed.stream().map(DeadLetter::record).toList();
        Failed failed = failure(0, records, thrown);
        if (failed == null) {
            return new Redelivery(claimed, null, null); // every one processed
        }
        int processed = claimed.size() - failed.remaining().size();
        boolean located = failed.located() || claimed.size() == 1;
        return new Redelivery(
                keepProcessed ? claimed.subList(0, processed) : List.of(),
                located ? claimed.get(processed) : null,
                failed.cause());
    }

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
