package dev.outbox.testkit.history;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of a run: every transaction the writers tried, every delivery the at-least-once
 * consumer's handlers saw, every fault, and when each relay ran. Thread-safe: writers, handlers and
 * the fault injector record into it concurrently.
 */
public final class History {

    /** When a relay ran: from its start to its close or death ({@link Long#MAX_VALUE}: still running). */
    public record RelayLifetime(String relayId, long startMicros, long endMicros) {}

    private final ConcurrentLinkedQueue<TransactionRecord> transactions = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Delivery> deliveries = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final Map<String, RelayLifetime> relays = new ConcurrentHashMap<>();
    private final AtomicLong lastDelivery = new AtomicLong();

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
}
