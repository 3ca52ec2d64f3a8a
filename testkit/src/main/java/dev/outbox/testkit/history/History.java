package dev.outbox.testkit.history;

import dev.outbox.ConsumerStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The client side of a run: every transaction the writers tried, every delivery the at-least-once
 * consumer's handlers saw, every fault, and when each relay ran; with handler faults, every call
 * of the faulty consumers' handlers, the dead-letter operations issued, and the consumers' status
 * as it was read during the run. Thread-safe: writers, handlers and the fault injector record into
 * it concurrently.
 */
public final class History {

    /** When a relay ran: from its start to its close or death ({@link Long#MAX_VALUE}: still running). */
    public record RelayLifetime(String relayId, long startMicros, long endMicros) {}

    /** A discard of a dead letter that succeeded, issued at {@code startMicros}. */
    public record Discard(String consumer, long seq, long startMicros) {}

    /** A dead letter as a listing during the run showed it. */
    public record ParkedSighting(
            String consumer,
            long seq,
            int attempts,
            @Nullable String errorClass) {}

    /**
     * A consumer's status as {@code relay.status()} returned it; the read ran between {@code
     * fromMicros} and {@code toMicros}.
     */
    public record StatusSample(
            String consumer,
            long fromMicros,
            long toMicros,
            ConsumerStatus.State state,
            @Nullable Long blockedAtSeq,
            long checkpoint,
            long parkedCount,
            @Nullable String lastError) {}

    private final ConcurrentLinkedQueue<TransactionRecord> transactions = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Delivery> deliveries = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final Map<String, RelayLifetime> relays = new ConcurrentHashMap<>();
    private final AtomicLong lastDelivery = new AtomicLong();
    private final ConcurrentLinkedQueue<HandlerCall> calls = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Discard> discards = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<ParkedSighting> sightings = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<StatusSample> samples = new ConcurrentLinkedQueue<>();
    private final List<StatusSample> finalStatus = new CopyOnWriteArrayList<>();
    private volatile HandlerFaults handlerFaults = HandlerFaults.none();
    private volatile List<FaultyConsumer> faultyConsumers = List.of();

    /** Records a transaction a writer tried. */
    public void record(TransactionRecord transaction) {
        transactions.add(Objects.requireNonNull(transaction, "transaction"));
    }

    /** Records one delivery to the at-least-once consumer. */
    public void delivered(Delivery delivery) {
        deliveries.add(Objects.requireNonNull(delivery, "delivery"));
        lastDelivery.accumulateAndGet(delivery.deliveredMicros(), Math::max);
    }

    /** Records deliveries made elsewhere (another process's recording file). */
    public void delivered(Collection<Delivery> more) {
        deliveries.addAll(more);
        for (Delivery delivery : more) {
            lastDelivery.accumulateAndGet(delivery.deliveredMicros(), Math::max);
        }
    }

    /** When the latest delivery recorded so far was made ({@link HistoryClock}); 0 before any. */
    public long lastDeliveryMicros() {
        return lastDelivery.get();
    }

    /** Records an injected fault. */
    public void fault(Fault fault) {
        faults.add(Objects.requireNonNull(fault, "fault"));
    }

    /** Records that a relay started now. */
    public void relayStarted(String relayId) {
        relays.put(relayId, new RelayLifetime(relayId, HistoryClock.nowMicros(), Long.MAX_VALUE));
    }

    /** Records that a relay was closed or killed now. */
    public void relayEnded(String relayId) {
        long now = HistoryClock.nowMicros();
        relays.computeIfPresent(relayId, (id, lifetime) -> new RelayLifetime(id, lifetime.startMicros(), now));
    }

    public List<TransactionRecord> transactions() {
        return new ArrayList<>(transactions);
    }

    public List<Delivery> deliveries() {
        return new ArrayList<>(deliveries);
    }

    public List<Fault> faults() {
        return new ArrayList<>(faults);
    }

    public Map<String, RelayLifetime> relays() {
        return Map.copyOf(relays);
    }

    /** Records the faulty consumers of the run and the handler faults they were given. */
    public void handlerFaults(HandlerFaults faults, List<FaultyConsumer> consumers) {
        this.handlerFaults = Objects.requireNonNull(faults, "faults");
        this.faultyConsumers = List.copyOf(consumers);
    }

    /** The faulty consumers of the run; none when it had no handler faults. */
    public List<FaultyConsumer> faultyConsumers() {
        return faultyConsumers;
    }

    /** The handler faults of the run: {@link HandlerFaults#none()} when it had no faulty consumers. */
    public HandlerFaults handlerFaults() {
        return handlerFaults;
    }

    /** Records a call of a faulty consumer's handler. */
    public void called(HandlerCall call) {
        calls.add(Objects.requireNonNull(call, "call"));
    }

    /** Records calls made elsewhere (another process's recording file). */
    public void called(Collection<HandlerCall> more) {
        calls.addAll(more);
    }

    /** Records a discard that succeeded. */
    public void discarded(Discard discard) {
        discards.add(Objects.requireNonNull(discard, "discard"));
    }

    /** Records a dead letter seen in a listing. */
    public void sighted(ParkedSighting sighting) {
        sightings.add(Objects.requireNonNull(sighting, "sighting"));
    }

    /** Records a status read during the run. */
    public void sampled(StatusSample sample) {
        samples.add(Objects.requireNonNull(sample, "sample"));
    }

    /** Records the consumers' status at the end of the run, after everything was delivered. */
    public void finalStatus(List<StatusSample> status) {
        finalStatus.clear();
        finalStatus.addAll(status);
    }

    public List<HandlerCall> calls() {
        return new ArrayList<>(calls);
    }

    public List<Discard> discards() {
        return new ArrayList<>(discards);
    }

    public List<ParkedSighting> sightings() {
        return new ArrayList<>(sightings);
    }

    public List<StatusSample> samples() {
        return new ArrayList<>(samples);
    }

    public List<StatusSample> finalStatus() {
        return List.copyOf(finalStatus);
    }
}
