package dev.outbox.micrometer;

import static dev.outbox.micrometer.MeterNames.CONSUMER_BATCH;
import static dev.outbox.micrometer.MeterNames.CONSUMER_DELIVERED;
import static dev.outbox.micrometer.MeterNames.CONSUMER_FAILURES;
import static dev.outbox.micrometer.MeterNames.CONSUMER_RETRIES;
import static dev.outbox.micrometer.MeterNames.SEQUENCER_BATCH;
import static dev.outbox.micrometer.MeterNames.SEQUENCER_BATCHES;
import static dev.outbox.micrometer.MeterNames.SEQUENCER_EVENTS;
import static dev.outbox.micrometer.MeterNames.TAG_CONSUMER;
import static dev.outbox.micrometer.MeterNames.TAG_PARTITION;
import static dev.outbox.micrometer.MeterNames.TAG_REACTION;
import static dev.outbox.micrometer.MeterNames.UNIT_BATCHES;
import static dev.outbox.micrometer.MeterNames.UNIT_EVENTS;

import dev.outbox.RelayListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The counters and timers of what this relay does, fed by its {@link RelayListener} callbacks. A
 * partition's meters are registered when the binding is made (for the consumers registered on the
 * relay) or on its first callback; a reaction's failure counter on its first failure. Callbacks come
 * on the relay's threads: after the first, each is a map lookup and an increment, no lock.
 */
final class RelayCounters implements RelayListener {

    private record PartitionKey(String consumer, int partition) {}

    private record FailureKey(String consumer, int partition, Reaction reaction) {}

    /** The meters of one partition of one consumer. */
    private record PartitionMeters(Counter delivered, Timer batch, Counter retries) {}

    private final BoundMeters meters;
    private final Tags tags;
    private final Map<PartitionKey, PartitionMeters> partitions = new ConcurrentHashMap<>();
    private final Map<FailureKey, Counter> failures = new ConcurrentHashMap<>();
    private final Counter sequencedBatches;
    private final Counter sequencedEvents;
    private final Timer sequencerBatch;

    RelayCounters(BoundMeters meters, Tags tags) {
        this.meters = meters;
        this.tags = tags;
        // made with the binding, before anything can close it: add() returns the meter
        sequencedBatches = Objects.requireNonNull(meters.add(registry -> Counter.builder(SEQUENCER_BATCHES)
                .description("Batches of queued events this relay's sequencer moved into the log")
                .baseUnit(UNIT_BATCHES)
                .tags(tags)
                .register(registry)));
        sequencedEvents = Objects.requireNonNull(meters.add(registry -> Counter.builder(SEQUENCER_EVENTS)
                .description("Queued events this relay's sequencer moved into the log")
                .baseUnit(UNIT_EVENTS)
                .tags(tags)
                .register(registry)));
        sequencerBatch = Objects.requireNonNull(meters.add(registry -> Timer.builder(SEQUENCER_BATCH)
                .description("A sequencer batch of this relay, from its read of the queue to its commit")
                .tags(tags)
                .register(registry)));
    }

    /** Registers {@code consumer}'s meters ahead of its first batch, so that rates start at 0. */
    void register(String consumer, int partition) {
        partitionMeters(consumer, partition);
    }

    @Override
    public void delivered(String consumer, int partition, int events, Duration took) {
        PartitionMeters partitionMeters = partitionMeters(consumer, partition);
        if (partitionMeters != null) {
            partitionMeters.delivered().increment(events);
            partitionMeters.batch().record(took);
        }
    }

    @Override
    public void failed(String consumer, int partition, Throwable cause, Reaction reaction) {
        Counter failed = failures.get(new FailureKey(consumer, partition, reaction));
        if (failed == null) {
            failed = failureCounter(new FailureKey(consumer, partition, reaction));
        }
        if (failed != null) {
            failed.increment();
        }
        if (reaction == Reaction.RETRY) {
            PartitionMeters partitionMeters = partitionMeters(consumer, partition);
            if (partitionMeters != null) {
                partitionMeters.retries().increment();
            }
        }
    }

    @Override
    public void sequenced(int events, Duration took) {
        // after close() these meters are out of the registry: counting on them is harmless
        sequencedBatches.increment();
        sequencedEvents.increment(events);
        sequencerBatch.record(took);
    }

    private @Nullable PartitionMeters partitionMeters(String consumer, int partition) {
        PartitionKey key = new PartitionKey(consumer, partition);
        PartitionMeters found = partitions.get(key);
        if (found != null) {
            return found;
        }
        // registered under the binding's lock, so that none is left behind by a callback racing with close()
        synchronized (meters) {
            if (meters.isClosed()) {
                return null;
            }
            return partitions.computeIfAbsent(key, this::registerPartition);
        }
    }

    private PartitionMeters registerPartition(PartitionKey key) {
        Tags partitionTags = partitionTags(key.consumer(), key.partition());
        Counter delivered = meters.add(registry -> Counter.builder(CONSUMER_DELIVERED)
                .description(
                        "Log entries this relay's batches moved the checkpoint past (those parked behind their key among them)")
                .baseUnit(UNIT_EVENTS)
                .tags(partitionTags)
                .register(registry));
        Timer batch = meters.add(registry -> Timer.builder(CONSUMER_BATCH)
                .description("A delivered batch of this relay, from its read to its saved checkpoint")
                .tags(partitionTags)
                .register(registry));
        Counter retries = meters.add(registry -> Counter.builder(CONSUMER_RETRIES)
                .description("Failed deliveries of this relay that are tried again (reaction RETRY)")
                .tags(partitionTags)
                .register(registry));
        // not null: the caller holds the lock of meters and saw it open
        return new PartitionMeters(
                Objects.requireNonNull(delivered), Objects.requireNonNull(batch), Objects.requireNonNull(retries));
    }

    private @Nullable Counter failureCounter(FailureKey key) {
        synchronized (meters) {
            if (meters.isClosed()) {
                return null;
            }
            return failures.computeIfAbsent(
                    key,
                    k -> Objects.requireNonNull(meters.add(registry -> Counter.builder(CONSUMER_FAILURES)
                            .description("Failed deliveries of this relay, by what the relay did about them")
                            .tags(partitionTags(k.consumer(), k.partition()))
                            .tag(TAG_REACTION, k.reaction().name())
                            .register(registry))));
        }
    }

    private Tags partitionTags(String consumer, int partition) {
        return tags.and(TAG_CONSUMER, consumer, TAG_PARTITION, Integer.toString(partition));
    }
}
