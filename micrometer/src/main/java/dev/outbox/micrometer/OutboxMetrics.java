package dev.outbox.micrometer;

import static dev.outbox.micrometer.MeterNames.SEQUENCER_LEADER;
import static dev.outbox.micrometer.MeterNames.TAG_CONSUMER;
import static dev.outbox.micrometer.MeterNames.TAG_OUTBOX;
import static dev.outbox.micrometer.MeterNames.TAG_PARTITION;
import static dev.outbox.micrometer.MeterNames.TAG_REACTION;

import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Micrometer meters of one {@link OutboxRelay}, registered by {@link #bind(OutboxRelay,
 * MeterRegistry)} and removed by {@link #close()}.
 *
 * <p>Two sources, with different scopes:
 *
 * <ul>
 *   <li><b>Sampled from the database, cluster-wide</b>: each consumer partition's lag (in events and
 *       in time), parked events, whether it is blocked, waiting for its downstream or running, and
 *       the queue's depth and oldest event. They are what the tables say, whichever relay does the
 *       work: every relay bound to the same tables reports the same values. One daemon thread per
 *       binding ({@code outbox-metrics-<outbox>}) reads the consumers' status and the queue once per
 *       {@linkplain Builder#samplingInterval(Duration) interval} (two connections, a few short
 *       statements, no lock); the gauges hand out the last sample, so a scrape never queries the
 *       database, however often it comes.
 *   <li><b>Counted from this relay's work</b>, through its {@link dev.outbox.RelayListener}:
 *       events delivered, batch durations, failed deliveries by reaction, retries, and the
 *       sequencer's batches. Each relay counts only what it did itself: sum them over the relays.
 * </ul>
 *
 * <p>Every meter is tagged {@code outbox} ({@code schema.prefix} of {@link OutboxRelay#tables()},
 * or the prefix alone without a schema) and with the extra tags of the {@link Builder}; consumer
 * meters also {@code consumer} and {@code partition} ({@code 0} for a consumer that is not split).
 * The module's README lists every meter.
 *
 * <p>A sample that fails (the database unreachable) changes nothing: the gauges keep their last
 * values and one warning is logged until a sample succeeds again. Consumers and partitions that
 * appear later get their gauges with the first sample that shows them; a consumer row that is
 * deleted loses them.
 *
 * <p>Thread-safe. The binding owns its sampling thread and its meters, not the relay or the
 * registry: close the binding before (or with) the relay, since it goes on sampling the tables
 * until it is closed.
 */
public final class OutboxMetrics implements AutoCloseable {

    /** How often the database is sampled unless {@link Builder#samplingInterval(Duration)} says otherwise. */
    public static final Duration DEFAULT_SAMPLING_INTERVAL = Duration.ofSeconds(10);

    /** Up to how many queued events {@code outbox.queue.depth} counts, unless set otherwise. */
    public static final int DEFAULT_QUEUE_COUNT_CAP = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(OutboxMetrics.class);
    private static final Duration MIN_SAMPLING_INTERVAL = Duration.ofMillis(50);
    private static final Duration MAX_SAMPLING_INTERVAL = Duration.ofHours(1);
    private static final int MAX_QUEUE_COUNT_CAP = 1_000_000;
    private static final Set<String> RESERVED_TAGS = Set.of(TAG_OUTBOX, TAG_CONSUMER, TAG_PARTITION, TAG_REACTION);
    /** How long close() waits for a sample in flight; it registers nothing after close() anyway. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(2);

    private final Tags tags;
    private final Duration samplingInterval;
    private final BoundMeters meters;
    private final AutoCloseable listener;
    private final Sampler sampler;
    private boolean closed;

    private OutboxMetrics(Builder builder) {
        OutboxRelay relay = builder.relay;
        String outbox = outboxTag(relay.tables());
        this.tags = Tags.of(TAG_OUTBOX, outbox).and(builder.tags);
        this.samplingInterval = builder.samplingInterval;
        refuseSecondBinding(builder.registry, tags);
        this.meters = new BoundMeters(builder.registry);
        RelayCounters counters;
        try {
            meters.add(registry -> Gauge.builder(SEQUENCER_LEADER, relay, r -> r.isSequencing() ? 1 : 0)
                    .description("1 while this relay holds the sequencer lock, else 0")
                    .tags(tags)
                    .strongReference(true)
                    .register(registry));
            counters = new RelayCounters(meters, tags);
            for (OutboxConsumer consumer : relay.consumers()) {
                for (int partition = 0; partition < consumer.partitions(); partition++) {
                    counters.register(consumer.name(), partition);
                }
            }
        } catch (RuntimeException e) {
            meters.removeAll();
            throw e;
        }
        this.listener = relay.addListener(counters);
        this.sampler = new Sampler(relay, meters, tags, outbox, builder.queueCountCap, samplingInterval);
        sampler.start();
    }

    /**
     * Binds the meters of {@code relay} to {@code registry} with the defaults: sampled every 10 seconds,
     * {@code outbox.queue.depth} counted up to 10,000, no extra tags. The relay may be started before or
     * after.
     *
     * @return the binding; closing it removes the meters
     * @throws OutboxConfigurationException if the relay is bound to this registry already with the
     *     same tags
     */
    public static OutboxMetrics bind(OutboxRelay relay, MeterRegistry registry) {
        return builder(relay, registry).bind();
    }

    /** A binding of {@code relay}'s meters to {@code registry} with options; {@link Builder#bind()} makes it. */
    public static Builder builder(OutboxRelay relay, MeterRegistry registry) {
        return new Builder(Objects.requireNonNull(relay, "relay"), Objects.requireNonNull(registry, "registry"));
    }

    /** The tags every meter of this binding carries: {@code outbox} and the extra tags. */
    public Tags tags() {
        return tags;
    }

    /** How often the database is sampled. */
    public Duration samplingInterval() {
        return samplingInterval;
    }

    /**
     * Removes the listener from the relay, stops the sampling thread (waiting up to 2 s for a sample
     * in flight; the thread ends with it) and removes every meter of the binding from the registry.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            listener.close();
        } catch (Exception e) {
            LOG.debug("removing the relay listener of the outbox metrics failed", e);
        }
        sampler.stop(STOP_WAIT);
        meters.removeAll();
    }

    /** {@code schema.prefix}, or {@code prefix} for tables in the connection's current schema. */
    static String outboxTag(OutboxTables tables) {
        return tables.schema() == null ? tables.prefix() : tables.schema() + "." + tables.prefix();
    }

    /**
     * Two bindings with the same tags would share meters (a registry hands out the existing meter
     * for an id it has), and closing one would remove the other's.
     */
    private static void refuseSecondBinding(MeterRegistry registry, Tags tags) {
        Set<Tag> wanted = new HashSet<>();
        tags.forEach(wanted::add);
        for (Meter meter : registry.find(SEQUENCER_LEADER).meters()) {
            if (new HashSet<>(meter.getId().getTags()).equals(wanted)) {
                throw new OutboxConfigurationException("metrics: a relay of these tables is bound to this registry"
                        + " already with the tags " + wanted + "; close that binding first, or tell the two"
                        + " apart with a tag of your own (OutboxMetrics.builder(relay, registry).tag(\"relay\","
                        + " relayId))");
            }
        }
    }

    /**
     * Options of a binding. Not thread-safe; {@link #bind()} validates and binds (and may be called
     * again for another binding only with other tags or another registry).
     */
    public static final class Builder {

        private final OutboxRelay relay;
        private final MeterRegistry registry;
        private Duration samplingInterval = DEFAULT_SAMPLING_INTERVAL;
        private int queueCountCap = DEFAULT_QUEUE_COUNT_CAP;
        private Tags tags = Tags.empty();

        private Builder(OutboxRelay relay, MeterRegistry registry) {
            this.relay = relay;
            this.registry = registry;
        }

        /**
         * How often the sampling thread reads the consumers' status and the queue from the database.
         * Default 10 s; from 50 ms to 1 h. Each sample takes two connections from the relay's data
         * source, one after the other, for a few milliseconds.
         */
        public Builder samplingInterval(Duration interval) {
            this.samplingInterval = Objects.requireNonNull(interval, "interval");
            return this;
        }

        /**
         * Up to how many queued events {@code outbox.queue.depth} counts: the count reads at most
         * this many rows of the queue's index each sample, however long the queue is after an
         * outage. Default {@value OutboxMetrics#DEFAULT_QUEUE_COUNT_CAP}; from 1 to 1,000,000.
         */
        public Builder queueCountCap(int cap) {
            this.queueCountCap = cap;
            return this;
        }

        /**
         * Adds a tag to every meter, for example {@code relay} to tell apart two relays of the same
         * tables in one registry. The keys {@code outbox}, {@code consumer}, {@code partition} and
         * {@code reaction} are the binding's own.
         */
        public Builder tag(String key, String value) {
            return tags(Tags.of(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value")));
        }

        /** Adds tags to every meter; see {@link #tag(String, String)}. */
        public Builder tags(Iterable<Tag> extra) {
            Objects.requireNonNull(extra, "tags");
            for (Tag tag : extra) {
                if (RESERVED_TAGS.contains(tag.getKey())) {
                    throw new OutboxConfigurationException("metrics: tag '" + tag.getKey()
                            + "' is set by the binding itself; choose another key (reserved: "
                            + String.join(", ", RESERVED_TAGS.stream().sorted().toList()) + ")");
                }
            }
            this.tags = tags.and(extra);
            return this;
        }

        /**
         * Registers the meters, adds the listener to the relay and starts the sampling thread (its
         * first sample right away).
         *
         * @throws OutboxConfigurationException if an option is out of range, or the relay is bound
         *     to this registry already with the same tags
         */
        public OutboxMetrics bind() {
            if (samplingInterval.compareTo(MIN_SAMPLING_INTERVAL) < 0
                    || samplingInterval.compareTo(MAX_SAMPLING_INTERVAL) > 0) {
                throw new OutboxConfigurationException("metrics: samplingInterval must be in [" + MIN_SAMPLING_INTERVAL
                        + ", " + MAX_SAMPLING_INTERVAL + "], was " + samplingInterval);
            }
            if (queueCountCap < 1 || queueCountCap > MAX_QUEUE_COUNT_CAP) {
                throw new OutboxConfigurationException(
                        "metrics: queueCountCap must be in [1, " + MAX_QUEUE_COUNT_CAP + "], was " + queueCountCap);
            }
            return new OutboxMetrics(this);
        }
    }
}
