package dev.outbox;

import java.util.List;
import java.util.Objects;

/**
 * A consumer callback that keeps a system outside the outbox's database current (a search index, a
 * cache, a message broker): delivery is <em>at least once</em>.
 *
 * <p>The relay calls {@link #handle} with consecutive log entries in {@code seq} order and saves the
 * consumer's checkpoint after it returns. It holds no open transaction, lock or pooled connection
 * while the handler runs, so the handler may call slow external systems. After a crash, a lost lease
 * or a failed checkpoint write the same entries may be delivered again: make the handler idempotent
 * with {@link OutboxRecord#eventId()} or {@link OutboxRecord#seq()}.
 *
 * <p>Called from the consumer's own thread ({@code outbox-consumer-<name>}), one batch at a time, so
 * an implementation need not be thread-safe unless it is shared between consumers.
 */
@FunctionalInterface
public interface EventHandler {

    /**
     * Processes a batch of consecutive log entries. Returning means all of them were processed;
     * throwing means none was, and the batch is delivered again after a back-off.
     */
    void handle(List<OutboxRecord> batch) throws Exception;

    /** A handler that processes one event at a time, in order. */
    static EventHandler perEvent(PerEvent handler) {
        Objects.requireNonNull(handler, "handler");
        return batch -> {
            for (OutboxRecord record : batch) {
                handler.handle(record);
            }
        };
    }

    /** The per-event form of {@link EventHandler}; see {@link EventHandler#perEvent(PerEvent)}. */
    @FunctionalInterface
    interface PerEvent {
        void handle(OutboxRecord record) throws Exception;
    }
}
