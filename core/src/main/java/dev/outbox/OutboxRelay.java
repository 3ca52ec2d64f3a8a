package dev.outbox;

import dev.outbox.internal.RelayEngine;
import dev.outbox.spi.OutboxDialect;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Runs the sequencer and the registered consumers of one set of outbox tables.
 *
 * <p>Any number of relays may run against the same tables (one per application instance): exactly
 * one of them sequences at a time and each consumer runs in exactly one of them at a time; when a
 * relay stops or dies, another takes its work over within about {@link
 * RelayOptions#leaseDuration()}.
 *
 * <p>Lifecycle: {@link #start()} checks the schema and returns at once; the work runs on threads
 * the relay creates ({@code outbox-sequencer}, {@code outbox-consumer-<name>}). {@link #close()} is
 * idempotent: it lets in-flight batches finish and save their checkpoints, releases the sequencer
 * lock and the leases, and stops only the threads the relay created. A relay is started once.
 *
 * <p>Connections come from the given {@link DataSource} (use a pool) per unit of work and are
 * returned at once; the relay never holds one while an at-least-once handler runs. Thread-safe.
 */
public final class OutboxRelay implements AutoCloseable {

    private enum State {
        NEW,
        STARTED,
        CLOSED
    }

    private final RelayOptions options;
    private final OutboxTables tables;
    private final List<OutboxConsumer> consumers;
    private final RelayEngine engine;
    private State state = State.NEW;

    private OutboxRelay(Builder builder) {
        this.options = builder.options;
        this.tables = builder.tables;
        this.consumers = List.copyOf(builder.consumers);
        this.engine = new RelayEngine(builder.dataSource, builder.dialect, builder.tables, options, consumers);
    }

    public static Builder builder(DataSource dataSource, OutboxDialect dialect) {
        return new Builder(
                Objects.requireNonNull(dataSource, "dataSource"), Objects.requireNonNull(dialect, "dialect"));
    }

    /**
     * Checks that the outbox tables exist at the expected schema version, starts the relay's
     * threads and returns.
     *
     * @throws OutboxSchemaException if the migration was not run (nothing is started then)
     * @throws IllegalStateException if the relay was started or closed before
     */
    public synchronized OutboxRelay start() {
        if (state != State.NEW) {
            throw new IllegalStateException("relay " + options.relayId() + " is " + state
                    + ": a relay starts once; build a new one to start again");
        }
        engine.start();
        state = State.STARTED;
        return this;
    }

    /**
     * Stops the relay: in-flight batches finish (up to {@link RelayOptions#shutdownTimeout()}),
     * checkpoints are saved, the sequencer lock and consumer leases are released. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (state == State.STARTED) {
            engine.stop(options.shutdownTimeout().toMillis());
        }
        state = State.CLOSED;
    }

    /** Wakes the sequencer, for example after events were appended by a writer it cannot see. */
    public void wakeUp() {
        engine.wakeUp();
    }

    /** Whether this relay holds the sequencer lock now. */
    public boolean isSequencing() {
        return engine.isSequencing();
    }

    /** Whether this relay runs consumer {@code name} now (holds its lease). */
    public boolean ownsConsumer(String name) {
        return engine.ownsConsumer(name);
    }

    /** The relay's options. */
    public RelayOptions options() {
        return options;
    }

    /** The tables this relay works on. */
    public OutboxTables tables() {
        return tables;
    }

    /** The consumers registered on this relay. */
    public List<OutboxConsumer> consumers() {
        return consumers;
    }

    /**
     * Sets consumer {@code name}'s checkpoint so that its next delivery starts at {@code fromSeq}:
     * replays the log from there (as far as it is retained), or skips ahead. Whichever relay runs
     * the consumer finds its lease fenced, finishes nothing more of its current batch's checkpoint,
     * and continues from {@code fromSeq}. Works whether or not this relay is started, and for
     * consumers registered on other relays too.
     *
     * @param fromSeq the first seq to deliver again, {@code >= 1}
     */
    public void resetConsumer(String name, long fromSeq) {
        Objects.requireNonNull(name, "name");
        if (fromSeq < 1) {
            throw new OutboxConfigurationException(
                    "resetConsumer('" + name + "'): fromSeq must be >= 1, was " + fromSeq);
        }
        engine.resetConsumer(name, null, fromSeq - 1);
    }

    /**
     * {@link #resetConsumer(String, long)} for one partition of a split consumer (registered on this
     * relay, which knows its number of partitions): the other partitions keep their checkpoints.
     *
     * @param partition the partition, from 0 to {@link OutboxConsumer#partitions()} - 1
     * @param fromSeq the first seq to deliver again, {@code >= 1}
     */
    public void resetPartition(String name, int partition, long fromSeq) {
        Objects.requireNonNull(name, "name");
        if (fromSeq < 1) {
            throw new OutboxConfigurationException(
                    "resetPartition('" + name + "', " + partition + "): fromSeq must be >= 1, was " + fromSeq);
        }
        if (consumers.stream().noneMatch(consumer -> consumer.name().equals(name))) {
            throw new OutboxConfigurationException("resetPartition('" + name + "', " + partition
                    + "): the consumer is not registered on this relay, which needs it to know its partitions");
        }
        engine.resetConsumer(name, partition, fromSeq - 1);
    }

    /**
     * The partitions of consumer {@code name} whose leases this relay holds now, in order ({@code
     * [0]} for a consumer that is not split and runs here).
     */
    public List<Integer> ownedPartitions(String name) {
        return engine.ownedPartitions(Objects.requireNonNull(name, "name"));
    }

    /**
     * Deletes consumer {@code name} from the tables: its checkpoint row and its dead letters
     * (discarded ones included). Do this when you retire a consumer: its row holds log retention
     * back for as long as it exists. A relay that registers the name later starts it afresh, from
     * its {@link StartPosition}. Works whether or not this relay is started.
     *
     * @return whether the consumer had a row
     * @throws OutboxException if a relay runs the consumer now (its lease is live), or this relay
     *     registers it and is started: remove it from that relay's consumers and restart it first
     */
    public boolean deleteConsumer(String name) {
        Objects.requireNonNull(name, "name");
        synchronized (this) {
            if (state == State.STARTED
                    && consumers.stream().anyMatch(c -> c.name().equals(name))) {
                throw new OutboxException("consumer '" + name + "' is registered on this relay, which is running:"
                        + " remove it from the relay's consumers and restart the relay, then delete it");
            }
        }
        return engine.deleteConsumer(name);
    }

    /**
     * The dead-letter operations (list, re-drive, discard) for these tables. Work whether or not
     * this relay is started; a re-drive is carried out by whichever relay runs the consumer.
     */
    public DeadLetters deadLetters() {
        return engine.deadLetters();
    }

    /**
     * The status of every consumer of these tables, read from the database (so it is right
     * whichever relay runs each consumer): first those registered on this relay, in registration
     * order, then every other consumer row, by name, with {@link ConsumerStatus#registeredHere()}
     * false. A row no relay registers any more holds log retention back: see {@link
     * #deleteConsumer(String)}.
     *
     * @throws OutboxException if the database cannot be read
     */
    public List<ConsumerStatus> status() {
        return engine.status(consumers.stream().map(OutboxConsumer::name).toList(), true);
    }

    /** The status of consumer {@code name}, registered here or not. */
    public ConsumerStatus status(String name) {
        Objects.requireNonNull(name, "name");
        return engine.status(List.of(name), false).get(0);
    }

    /**
     * What this relay cannot fix by itself and keeps working around now, oldest first: a loop that
     * keeps failing (the database unreachable, the tables missing, an unexpected error in the relay's
     * own code), or another relay running with the same relayId. Each was logged when it appeared;
     * it is gone once the loop recovers. Empty when all is well. Kept in memory by this relay: what
     * the database records about consumers is in {@link #status()}.
     */
    public List<RelayProblem> problems() {
        return engine.problems();
    }

    /**
     * Checks that the outbox tables exist at the schema version this library needs, as {@link
     * #start()} does, without starting anything.
     *
     * @throws OutboxSchemaException naming what is missing and the migration to run
     * @throws OutboxException if the database cannot be read
     */
    public void checkSchema() {
        engine.checkSchema();
    }

    /**
     * Read access to the log and the queue (head, entries, the queue's depth and age), for tools and
     * probes. Works whether or not this relay is started.
     */
    public OutboxLog log() {
        return engine.log();
    }

    /** {@link #health(RelayHealth.Thresholds)} with {@link RelayHealth.Thresholds#defaults()}. */
    public RelayHealth health() {
        return health(RelayHealth.Thresholds.defaults());
    }

    /**
     * Whether this relay does its work, for a health probe: DOWN when it is not running, the database
     * cannot be read, or sequencing has stalled; blocked, waiting or lagging consumers are warnings
     * ({@link RelayHealth} says why). Reads the database (the queue, then the consumers' status); never
     * throws for a database that cannot be read: that is a DOWN.
     */
    public RelayHealth health(RelayHealth.Thresholds thresholds) {
        Objects.requireNonNull(thresholds, "thresholds");
        boolean running;
        synchronized (this) {
            running = state == State.STARTED;
        }
        return engine.health(running, thresholds);
    }

    /**
     * Tells {@code listener} what the relay's loops do from now on (batches delivered and sequenced,
     * failed deliveries): the hook of metrics. Closing the returned handle removes it.
     */
    public AutoCloseable addListener(RelayListener listener) {
        return engine.addListener(Objects.requireNonNull(listener, "listener"));
    }

    /** Builds an {@link OutboxRelay}. Not thread-safe; {@link #build()} validates. */
    public static final class Builder {
        private final DataSource dataSource;
        private final OutboxDialect dialect;
        private OutboxTables tables = OutboxTables.defaults();
        private RelayOptions options = RelayOptions.defaults();
        private final List<OutboxConsumer> consumers = new ArrayList<>();

        private Builder(DataSource dataSource, OutboxDialect dialect) {
            this.dataSource = dataSource;
            this.dialect = dialect;
        }

        /** Where the tables are. Default {@link OutboxTables#defaults()}. */
        public Builder tables(OutboxTables tables) {
            this.tables = Objects.requireNonNull(tables, "tables");
            return this;
        }

        /** Default {@link RelayOptions#defaults()}. */
        public Builder options(RelayOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /** Registers a consumer; names must be unique within a relay. */
        public Builder consumer(OutboxConsumer consumer) {
            consumers.add(Objects.requireNonNull(consumer, "consumer"));
            return this;
        }

        /** Registers an at-least-once consumer with default settings. */
        public Builder atLeastOnce(String name, EventHandler handler) {
            return consumer(OutboxConsumer.atLeastOnce(name, handler).build());
        }

        /** Registers a transactional (exactly-once) consumer with default settings. */
        public Builder transactional(String name, TransactionalEventHandler handler) {
            return consumer(OutboxConsumer.transactional(name, handler).build());
        }

        public OutboxRelay build() {
            Set<String> names = new HashSet<>();
            for (OutboxConsumer consumer : consumers) {
                if (!names.add(consumer.name())) {
                    throw new OutboxConfigurationException(
                            "relay: consumer '" + consumer.name() + "' is registered twice; names must be unique");
                }
            }
            return new OutboxRelay(this);
        }
    }
}
