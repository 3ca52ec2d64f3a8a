package dev.outbox;

import java.util.List;

/**
 * Operations on the dead-letter table of one set of outbox tables: inspect parked events, deliver
 * them again, or give them up. Get it from {@link OutboxRelay#deadLetters()}; thread-safe.
 *
 * <p>A re-drive is carried out by the relay that runs the consumer, on the consumer's own thread,
 * between its reads of the log: the events are delivered again in seq order, in batches of the
 * consumer's batch size (one at a time when a batch fails without saying where), and each is
 * removed from the dead-letter table once delivered (for a transactional consumer, in the same
 * transaction as the handler's writes). Right before it delivers one, the relay marks it
 * {@link DeadLetter.Status#REDRIVING}: from then on it cannot be discarded, so an event is never
 * both delivered and discarded. A re-driven event that fails again is parked again with its attempt
 * count raised. A relay in this JVM starts at once; a relay elsewhere within a third of its lease.
 *
 * <p>Under {@link FailurePolicy#PARK_KEY} a key's events are re-driven in seq order: the re-drive of
 * an event waits while an earlier event of its key is parked and not asked for. So when one fails
 * again, the key's re-drive stops there: the requests for its later events wait (their status stays
 * {@link DeadLetter.Status#REDRIVE_REQUESTED}) until it is re-driven again and delivered, or
 * discarded.
 */
public interface DeadLetters {

    /**
     * The parked events of {@code consumer} (also those waiting for re-drive), in seq order. All of
     * them: for a consumer that may have many, read pages with {@link #list(String, long, int)}.
     */
    List<DeadLetter> list(String consumer);

    /**
     * A page of {@link #list(String)}: at most {@code limit} of the parked events of {@code
     * consumer} after {@code afterSeq}, in seq order. The next page is the one after the last seq of
     * this one; an empty page is the end.
     *
     * @param afterSeq 0 for the first page
     * @param limit 1 to 10,000
     * @throws OutboxConfigurationException if {@code limit} is out of range
     */
    List<DeadLetter> list(String consumer, long afterSeq, int limit);

    /**
     * Asks for the parked event at {@code seq} to be delivered again to {@code consumer}.
     *
     * @return whether such a parked event exists
     */
    boolean redrive(String consumer, long seq);

    /**
     * Asks for every parked event of {@code consumer} to be delivered again, in seq order.
     *
     * @return how many events will be re-driven
     */
    int redriveAll(String consumer);

    /**
     * Gives up the parked event at {@code seq}: it is never delivered to {@code consumer}. The row
     * is kept with status {@link DeadLetter.Status#DISCARDED} and the reason, for audit. Under
     * {@link FailurePolicy#PARK_KEY}, discarding a key's last dead letter lets its later events flow
     * again (a relay elsewhere notices within a third of its lease).
     *
     * @param reason why, for whoever reads the table later; not blank
     * @return whether such a parked event existed (parked or waiting for re-drive)
     * @throws OutboxException if the event is being re-driven right now ({@link
     *     DeadLetter.Status#REDRIVING}); if that delivery fails, it is parked again and can be
     *     discarded then
     */
    boolean discard(String consumer, long seq, String reason);
}
