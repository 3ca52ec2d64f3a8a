package dev.outbox;

import java.util.Objects;

/**
 * Thrown by a handler to say "the first {@link #processed()} records of this batch succeeded, then
 * the next one failed with {@link #getCause()}". The relay then does not deliver the succeeded
 * records again and does not bisect the batch: the record at index {@code processed} is the one
 * that failed, and the cause decides what follows (retried by the consumer's {@link RetryPolicy}
 * and then its {@link FailurePolicy}, or waited out when it is a {@link
 * DownstreamUnavailableException}).
 *
 * <ul>
 *   <li>An at-least-once consumer ({@link EventHandler}) saves its checkpoint after the {@code
 *       processed} records at once, and retries from the failed one.
 *   <li>A transactional consumer ({@link TransactionalEventHandler}) rolls its transaction back,
 *       as for any failure, so nothing of the batch is written; the relay then delivers the
 *       {@code processed} records again as one batch, without the failed one, and retries that
 *       one on its own.
 * </ul>
 *
 * <p>A {@code processed} of the batch's size or more means that every record was processed: the
 * relay saves the whole batch and logs the cause.
 */
public class PartialSuccessException extends OutboxException {
    private static final long serialVersionUID = 1L;

    private final int processed;

    /**
     * @param processed how many records, from the start of the batch, were processed; {@code >= 0}
     * @param cause why the next record failed; not {@code null}
     */
    public PartialSuccessException(int processed, Throwable cause) {
        super(
                "the first " + processed + " record(s) of the batch were processed, the next failed: "
                        + Objects.requireNonNull(cause, "cause"),
                cause);
        if (processed < 0) {
            throw new IllegalArgumentException("processed must be >= 0, was " + processed);
        }
        this.processed = processed;
    }

    /** How many records, from the start of the batch, were processed before the failure. */
    public int processed() {
        return processed;
    }

    @Override
    public synchronized Throwable getCause() {
        return Objects.requireNonNull(super.getCause());
    }
}
