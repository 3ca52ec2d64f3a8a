package dev.outbox.testkit.history;

import dev.outbox.EventHandler;
import dev.outbox.OutboxRecord;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Wraps an at-least-once consumer's handler so that a history records what it did: after the
 * handler returns, every event of the batch goes to {@code sink} as a {@link Delivery} (usually
 * {@link History#delivered(Delivery)}), with the relay and the handler call it came in. A batch the
 * handler threw on is not recorded: it is delivered again, and only then counts.
 *
 * <pre>{@code
 * History history = new History();
 * EventHandler recorded = new DeliveryRecorder("search", "relay-1", history::delivered, searchIndexer);
 * relay = OutboxRelay.builder(dataSource, dialect).atLeastOnce("search", recorded)...
 * }</pre>
 *
 * <p>Called by one consumer thread at a time; the sink must be thread-safe if shared.
 */
public final class DeliveryRecorder implements EventHandler {

    private final String consumer;
    private final String relayId;
    private final Consumer<Delivery> sink;
    private final EventHandler handler;
    private final AtomicLong calls = new AtomicLong();

    /**
     * @param consumer the consumer's name, as registered
     * @param relayId the relay's id ({@link dev.outbox.RelayOptions#relayId()}), which also names
     *     its lifetime in {@link History#relayStarted(String)}
     * @param sink where the deliveries go
     * @param handler the handler whose deliveries are recorded
     */
    public DeliveryRecorder(String consumer, String relayId, Consumer<Delivery> sink, EventHandler handler) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.relayId = Objects.requireNonNull(relayId, "relayId");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    @Override
    public void handle(List<OutboxRecord> batch) throws Exception {
        String batchId = relayId + "#" + calls.incrementAndGet();
        long start = HistoryClock.nowMicros();
        handler.handle(batch);
        long done = HistoryClock.nowMicros();
        for (OutboxRecord record : batch) {
            sink.accept(new Delivery(
                    consumer, relayId, batchId, start, record.seq(), record.eventId(), record.aggregateId(), done));
        }
    }
}
