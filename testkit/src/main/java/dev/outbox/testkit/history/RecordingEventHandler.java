package dev.outbox.testkit.history;

import dev.outbox.EventHandler;
import dev.outbox.OutboxRecord;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The at-least-once consumer of a history run: records every event it is handed, with its relay
 * and batch, into a sink ({@link History#delivered(Delivery)} in the test's JVM, a file in another
 * process). Recording is the handler's effect on the outside world: once recorded, a delivery
 * counts, whether or not the relay lived to save the checkpoint.
 *
 * <p>Called by one consumer thread at a time; the sink must be thread-safe if shared.
 */
public final class RecordingEventHandler implements EventHandler {

    /** Called after each batch was recorded, before the handler returns. */
    @FunctionalInterface
    public interface AfterBatch {
        void recorded(List<OutboxRecord> batch) throws Exception;
    }

    private final String consumer;
    private final String relayId;
    private final Consumer<Delivery> sink;
    private final AfterBatch afterBatch;
    private final AtomicLong batches = new AtomicLong();

    public RecordingEventHandler(String consumer, String relayId, Consumer<Delivery> sink, AfterBatch afterBatch) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.relayId = Objects.requireNonNull(relayId, "relayId");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.afterBatch = Objects.requireNonNull(afterBatch, "afterBatch");
    }

    @Override
    public void handle(List<OutboxRecord> batch) throws Exception {
        String batchId = relayId + "#" + batches.incrementAndGet();
        long start = HistoryClock.nowMicros();
        for (OutboxRecord record : batch) {
            sink.accept(new Delivery(
                    consumer,
                    relayId,
                    batchId,
                    start,
                    record.seq(),
                    record.eventId(),
                    record.aggregateId(),
                    HistoryClock.nowMicros()));
        }
        afterBatch.recorded(batch);
    }
}
