package dev.outbox.micrometer;

import static dev.outbox.micrometer.MeterNames.CONSUMER_BLOCKED;
import static dev.outbox.micrometer.MeterNames.CONSUMER_LAG;
import static dev.outbox.micrometer.MeterNames.CONSUMER_LAG_EVENTS;
import static dev.outbox.micrometer.MeterNames.CONSUMER_PARKED;
import static dev.outbox.micrometer.MeterNames.CONSUMER_RUNNING;
import static dev.outbox.micrometer.MeterNames.CONSUMER_WAITING;
import static dev.outbox.micrometer.MeterNames.QUEUE_DEPTH;
import static dev.outbox.micrometer.MeterNames.QUEUE_OLDEST;
import static dev.outbox.micrometer.MeterNames.TAG_CONSUMER;
import static dev.outbox.micrometer.MeterNames.TAG_PARTITION;
import static dev.outbox.micrometer.MeterNames.UNIT_EVENTS;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxLog;
import dev.outbox.OutboxRelay;
import dev.outbox.PartitionStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gauges that need the database, and the one daemon thread that samples it: every interval, one
 * read of the consumers' status and one of the queue (each on one connection), whose values the
 * gauges hand out at every scrape. A scrape never queries the database.
 *
 * <p>A partition seen for the first time gets its gauges then; a partition whose row is gone (a
 * deleted consumer) loses them. A read that fails changes nothing: the gauges keep the last values,
 * and the failure is logged once, at WARN, until a sample succeeds again.
 */
final class Sampler {

    private static final Logger LOG = LoggerFactory.getLogger(Sampler.class);

    private record PartitionKey(String consumer, int partition) {}

    /**
     * What the last sample saw of one partition, with its gauges. Written by the sampler thread,
     * read by scrapes: volatile fields, each a value on its own (a scrape may see one partition's
     * fields from two samples, which is fine for gauges).
     */
    private static final class PartitionValues {
        volatile double lagEvents;
        volatile double lagSeconds;
        volatile double parked;
        volatile double blocked;
        volatile double waiting;
        volatile double running;
        final List<Meter> gauges = new ArrayList<>();

        void update(PartitionStatus status) {
            lagEvents = status.lagEvents();
            lagSeconds = seconds(status.lag());
            parked = status.parkedCount();
            // blocked while stuck at a seq, even when no relay holds the lease now: it is still stuck
            blocked = status.blockedAtSeq() != null ? 1 : 0;
            waiting = status.state() == ConsumerStatus.State.WAITING_FOR_DOWNSTREAM ? 1 : 0;
            running = status.owner() != null ? 1 : 0;
        }
    }

    /** What the last sample saw of the queue. */
    private static final class QueueValues {
        volatile double depth;
        volatile double oldestSeconds;
    }

    private final OutboxRelay relay;
    private final BoundMeters meters;
    private final Tags tags;
    private final String outbox;
    private final int queueCountCap;
    private final Duration interval;
    private final ScheduledThreadPoolExecutor executor;

    // the sampler thread's alone
    private final Map<PartitionKey, PartitionValues> partitions = new HashMap<>();
    private @Nullable QueueValues queue;
    private boolean failing;

    Sampler(OutboxRelay relay, BoundMeters meters, Tags tags, String outbox, int queueCountCap, Duration interval) {
        this.relay = relay;
        this.meters = meters;
        this.tags = tags;
        this.outbox = outbox;
        this.queueCountCap = queueCountCap;
        this.interval = interval;
        this.executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "outbox-metrics-" + outbox);
            thread.setDaemon(true); // never keeps a JVM alive whose application forgot to close the binding
            return thread;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    void start() {
        // fixed delay, not rate: a slow database stretches the interval instead of piling samples up
        executor.scheduleWithFixedDelay(this::sampleOnce, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Stops the thread: no sample starts after this. One in flight is waited for up to {@code wait}
     * but not interrupted (an interrupt inside a JDBC call could cost the relay's pool the
     * connection); if it outlasts the wait, the thread ends with it, and what it read registers
     * nothing (the binding's meters are closed right after).
     */
    void stop(Duration wait) {
        executor.shutdown(); // cancels the periodic task: setContinueExistingPeriodicTasksAfterShutdownPolicy is false
        try {
            executor.awaitTermination(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sampleOnce() {
        // one failure of any kind must not end the schedule: a task that throws is never run again
        try {
            sample();
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void sample() {
        List<ConsumerStatus> statuses = null;
        OutboxLog.Queue queued = null;
        RuntimeException failure = null;
        try {
            statuses = relay.status();
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            queued = relay.log().queue(queueCountCap);
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        synchronized (meters) { // against close(): nothing registered after it
            if (meters.isClosed()) {
                return;
            }
            if (statuses != null) {
                applyStatus(statuses);
            }
            if (queued != null) {
                applyQueue(queued);
            }
        }
        if (failure != null) {
            failed(failure);
        } else if (failing) {
            failing = false;
            LOG.info("outbox metrics of {}: sampling the database works again", outbox);
        }
    }

    private void failed(RuntimeException e) {
        if (!failing) {
            failing = true;
            LOG.warn(
                    "outbox metrics of {}: sampling the database failed; the gauges keep their last values"
                            + " until it works again (logged once until then)",
                    outbox,
                    e);
        } else {
            LOG.debug("outbox metrics of {}: sampling the database failed again", outbox, e);
        }
    }

    private void applyStatus(List<ConsumerStatus> statuses) {
        Set<PartitionKey> seen = new HashSet<>();
        for (ConsumerStatus consumer : statuses) {
            for (PartitionStatus partition : consumer.partitions()) {
                PartitionKey key = new PartitionKey(consumer.name(), partition.partition());
                seen.add(key);
                PartitionValues values = partitions.get(key);
                if (values == null) {
                    values = new PartitionValues();
                    values.update(partition); // before the gauges exist: a first scrape sees values, not zeros
                    register(key, values);
                    partitions.put(key, values);
                } else {
                    values.update(partition);
                }
            }
        }
        // a row that is gone (deleteConsumer, fewer partitions): its gauges would report stale values for ever
        partitions.entrySet().removeIf(entry -> {
            if (seen.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().gauges.forEach(meters::remove);
            return true;
        });
    }

    private void register(PartitionKey key, PartitionValues values) {
        Tags partitionTags = tags.and(TAG_CONSUMER, key.consumer(), TAG_PARTITION, Integer.toString(key.partition()));
        add(
                values.gauges,
                gauge(
                        CONSUMER_LAG_EVENTS,
                        "Log entries after the partition's checkpoint (of every partition: an upper bound of its own)",
                        UNIT_EVENTS,
                        partitionTags,
                        values,
                        v -> v.lagEvents));
        add(
                values.gauges,
                registry -> TimeGauge.builder(CONSUMER_LAG, values, TimeUnit.SECONDS, v -> v.lagSeconds)
                        .description("Age of the oldest log entry after the partition's checkpoint (0 when none)")
                        .tags(partitionTags)
                        .strongReference(true)
                        .register(registry));
        add(
                values.gauges,
                gauge(
                        CONSUMER_PARKED,
                        "Events of the partition in the dead-letter table waiting for a decision",
                        UNIT_EVENTS,
                        partitionTags,
                        values,
                        v -> v.parked));
        add(
                values.gauges,
                gauge(
                        CONSUMER_BLOCKED,
                        "1 while the partition is stuck at an event (failure policy BLOCK), else 0",
                        null,
                        partitionTags,
                        values,
                        v -> v.blocked));
        add(
                values.gauges,
                gauge(
                        CONSUMER_WAITING,
                        "1 while the partition waits for its handler's downstream, else 0",
                        null,
                        partitionTags,
                        values,
                        v -> v.waiting));
        add(
                values.gauges,
                gauge(
                        CONSUMER_RUNNING,
                        "1 while a relay holds the partition's lease, else 0",
                        null,
                        partitionTags,
                        values,
                        v -> v.running));
    }

    private void applyQueue(OutboxLog.Queue queued) {
        QueueValues values = queue;
        if (values == null) {
            values = new QueueValues();
            update(values, queued); // before the gauges exist: a first scrape sees values, not zeros
            registerQueue(values);
            queue = values;
        } else {
            update(values, queued);
        }
    }

    private static void update(QueueValues values, OutboxLog.Queue queued) {
        values.depth = queued.waiting();
        Duration oldest = queued.oldest();
        values.oldestSeconds = oldest == null ? 0 : seconds(oldest);
    }

    /** The queue's gauges: removed only with the binding (the queue always exists). */
    private void registerQueue(QueueValues values) {
        meters.add(gauge(
                QUEUE_DEPTH,
                "Committed events waiting to be sequenced, counted up to " + queueCountCap,
                UNIT_EVENTS,
                tags,
                values,
                v -> v.depth));
        meters.add(registry -> TimeGauge.builder(QUEUE_OLDEST, values, TimeUnit.SECONDS, v -> v.oldestSeconds)
                .description("Age of the oldest event waiting to be sequenced (0 when none)")
                .tags(tags)
                .strongReference(true)
                .register(registry));
    }

    private void add(List<Meter> gauges, Function<MeterRegistry, ? extends Meter> registration) {
        Meter meter = meters.add(registration);
        if (meter != null) {
            gauges.add(meter);
        }
    }

    private static <T> Function<MeterRegistry, Gauge> gauge(
            String name,
            String description,
            @Nullable String baseUnit,
            Tags tags,
            T values,
            ToDoubleFunction<T> value) {
        return registry -> Gauge.builder(name, values, value)
                .description(description)
                .baseUnit(baseUnit)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }

    private static double seconds(Duration duration) {
        return duration.getSeconds() + duration.getNano() / 1e9;
    }
}
