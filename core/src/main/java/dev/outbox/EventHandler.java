package dev.outbox;

import java.util.List;
import java.util.Objects;

/**
 * A consumer callback that keeps a system outside the outbox's database current (a search index, a
 * cache, a message broker): delivery is <em>at least once</em>.
 *
 * <p>The relay calls {@link #handle} with consecutive log entries in {@code seq} order and saves the
 * consumer's checkpoint after it returns. It holds no open transaction, lock or pooled connection
 * for the handler while it runs (a consumer that {@linkplain OutboxConsumer.Builder#readAhead reads
 * ahead} borrows one meanwhile, only to read its next batch), so the handler may call slow external
 * systems; it keeps the consumer's
 * lease alive meanwhile, from a thread of its own, so a call may last longer than {@link
 * RelayOptions#leaseDuration()}. After a crash, a lost lease or a failed checkpoint write the same
 * entries may be delivered again: make the handler idempotent with {@link OutboxRecord#eventId()}
 * or {@link OutboxRecord#seq()}.
 *
 * <h2>Failures</h2>
 *
 * <p>Whatever the handler throws ({@link Throwable}: an {@link Exception}, an {@link
 * AssertionError}, a {@link StackOverflowError}, a {@link NoClassDefFoundError}) is a failed
 * delivery: it is logged, recorded in the consumer's status and retried by the consumer's {@link
 * RetryPolicy}; then its {@link FailurePolicy} decides. The consumer never stops. Every log entry
 * ends up, for this consumer, exactly one of: delivered, in the dead-letter table (parked or
 * discarded), or still ahead of the checkpoint.
 *
 * <ul>
 *   <li>Throwing means none of the batch was processed: the relay bisects the batch to find the
 *       event that fails, so retries, blocks and dead letters concern that one event.
 *   <li>{@link PartialSuccessException}: the first {@code n} records were processed, the next one
 *       failed. The relay saves the checkpoint after those {@code n} and retries from the failed
 *       one, without bisecting and without delivering the {@code n} again.
 *   <li>{@link DownstreamUnavailableException}: the system the handler writes to is down. Retried
 *       for ever with back-off, never counted, never parked, shown as {@link
 *       ConsumerStatus.State#WAITING_FOR_DOWNSTREAM}.
 * </ul>
 *
 * <p>Called from the consumer's own thread ({@code outbox-consumer-<name>}), one batch at a time, so
 * an implementation need not be thread-safe unless it is shared between consumers.
 */
@FunctionalInterface
public interface EventHandler {

    /**
     * Processes a batch of consecutive log entries. Returning means all of them were processed;
     * throwing means none was (or, with {@link PartialSuccessException}, the first {@code n}), and
     * the rest is delivered again after a back-off.
     */
    void handle(List<OutboxRecord> batch) throws Exception;

    /**
     * A handler that processes one event at a time, in order. When an event fails after others of
     * the batch succeeded, it reports them with a {@link PartialSuccessException}, so they are not
     * delivered again.
     */
    static EventHandler perEvent(PerEvent handler) {
        Objects.requireNonNull(handler, "handler");
        return batch -> {
            for (int i = 0; i < batch.size(); i++) {
                try {
                    handler.handle(batch.get(i));
                } catch (Exception | Error e) {
                    if (i == 0) {
                        throw e;
                    }
                    throw new PartialSuccessException(i, e);
                }
            }
        };
    }

    /** The per-event form of {@link EventHandler}; see {@link EventHandler#perEvent(PerEvent)}. */
    @FunctionalInterface
    interface PerEvent {
        void handle(OutboxRecord record) throws Exception;
    }
}
