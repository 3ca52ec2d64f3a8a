package dev.outbox.testkit;

import dev.outbox.EventHandler;
import dev.outbox.OutboxRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * An at-least-once handler that records every delivery, in order, with the name of the relay that
 * delivered it. Thread-safe: several relays may share one to check who delivered what.
 */
public final class RecordingHandler implements EventHandler {

    /** One delivered record and the relay it was delivered by. */
    public record Delivery(String relay, OutboxRecord record) {}

    private final String relay;
    private final List<Delivery> deliveries;

    public RecordingHandler() {
        this("relay", new CopyOnWriteArrayList<>());
    }

    private RecordingHandler(String relay, List<Delivery> deliveries) {
        this.relay = relay;
        this.deliveries = deliveries;
    }

    /** A handler that records into the same list, tagged with another relay name. */
    public RecordingHandler forRelay(String relayName) {
        return new RecordingHandler(relayName, deliveries);
    }

    @Override
    public void handle(List<OutboxRecord> batch) {
        for (OutboxRecord record : batch) {
            deliveries.add(new Delivery(relay, record));
        }
    }

    /** Forgets what was recorded (by every handler sharing this one's list). */
    public void clear() {
        deliveries.clear();
    }

    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    public List<OutboxRecord> records() {
        return deliveries.stream().map(Delivery::record).toList();
    }

    public List<Long> seqs() {
        return records().stream().map(OutboxRecord::seq).toList();
    }

    public Set<UUID> eventIds() {
        return records().stream().map(OutboxRecord::eventId).collect(Collectors.toSet());
    }

    public int count() {
        return deliveries.size();
    }

    /** Waits until at least {@code count} records were delivered. */
    public RecordingHandler awaitCount(int count, Duration timeout) {
        Await.await("delivery of " + count + " events (have " + deliveries.size() + ")")
                .atMost(timeout)
                .until(() -> deliveries.size() >= count);
        return this;
    }

    /** Records delivered more than once (by seq), in order of first delivery. */
    public List<Long> duplicateSeqs() {
        Set<Long> seen = new HashSet<>();
        List<Long> duplicates = new ArrayList<>();
        for (Long seq : seqs()) {
            if (!seen.add(seq)) {
                duplicates.add(seq);
            }
        }
        return duplicates;
    }
}
