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
 * <p>Called from the consumer's own thread, one batch at a time.
 */
@FunctionalInterface
public interface TransactionalEventHandler {

    /**
     * Processes a batch of consecutive log entries inside the relay's transaction. Throwing rolls
     * back the handler's writes with the batch, which is delivered again after a back-off.
     */
    void handle(List<OutboxRecord> batch, Connection connection) throws Exception;

    /** A transactional handler that processes one event at a time, in order. */
    static TransactionalEventHandler perEvent(PerEvent handler) {
        Objects.requireNonNull(handler, "handler");
        return (batch, connection) -> {
            for (OutboxRecord record : batch) {
                handler.handle(record, connection);
            }
        };
    }

    /** The per-event form of {@link TransactionalEventHandler}. */
    @FunctionalInterface
    interface PerEvent {
        void handle(OutboxRecord record, Connection connection) throws Exception;
    }
}
