package dev.outbox;

import java.sql.Connection;
import java.util.List;
import java.util.Objects;

/**
 * A consumer callback that updates tables in the outbox's own database (a read model, an
 * aggregate): delivery is <em>exactly once</em>.
 *
 * <p>The relay opens a transaction, locks the consumer's checkpoint row, calls {@link #handle} with
 * that transaction's connection, saves the checkpoint on the same connection and commits: the
 * handler's writes and the checkpoint commit together or not at all. The handler must not commit,
 * roll back, close or change the auto-commit mode of the connection; the relay owns it.
 *
 * <h2>Failures</h2>
 *
 * <p>Whatever the handler throws ({@link Throwable}, errors included) rolls back the handler's
 * writes with the batch: a failed delivery, logged, recorded in the consumer's status and retried
 * by the consumer's {@link RetryPolicy}, then handled by its {@link FailurePolicy}; the consumer
 * never stops. Each log entry's writes are committed exactly once, or the entry is in the
 * dead-letter table (parked or discarded), or it is still ahead of the checkpoint.
 *
 * <ul>
 *   <li>Throwing: the relay bisects the batch to find the event that fails.
 *   <li>{@link PartialSuccessException}: the failing event is the one after the first {@code n};
 *       those {@code n} are rolled back too, then delivered again as one batch without it, and
 *       the failing one is retried alone (no bisection).
 *   <li>{@link DownstreamUnavailableException}, and a lost connection, deadlock or lock timeout of
 *       the relay's own connection: retried for ever with back-off, never counted, never parked,
 *       shown as {@link ConsumerStatus.State#WAITING_FOR_DOWNSTREAM}.
 * </ul>
 *
 * <p>Called from the consumer's own thread, one batch at a time.
 */
@FunctionalInterface
public interface TransactionalEventHandler {

    /**
     * Processes a batch of consecutive log entries inside the relay's transaction. Throwing rolls
     * back the handler's writes with the batch, which is delivered again after a back-off.
     */
    void handle(List<OutboxRecord> batch, Connection connection) throws Exception;

    /**
     * A transactional handler that processes one event at a time, in order; when one fails after
     * others of the batch, it says which with a {@link PartialSuccessException}.
     */
    static TransactionalEventHandler perEvent(PerEvent handler) {
        Objects.requireNonNull(handler, "handler");
        return (batch, connection) -> {
            for (int i = 0; i < batch.size(); i++) {
                try {
                    handler.handle(batch.get(i), connection);
                } catch (Exception | Error e) {
                    if (i == 0) {
                        throw e;
                    }
                    throw new PartialSuccessException(i, e);
                }
            }
        };
    }

    /** The per-event form of {@link TransactionalEventHandler}. */
    @FunctionalInterface
    interface PerEvent {
        void handle(OutboxRecord record, Connection connection) throws Exception;
    }
}
