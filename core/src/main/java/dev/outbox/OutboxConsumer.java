package dev.outbox;

import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A named consumer of the log: its handler and settings. Register it with {@link
 * OutboxRelay.Builder#consumer(OutboxConsumer)}. Each name has one checkpoint in the database, shared
 * by every relay that registers the name; one relay at a time runs it (a lease).
 *
 * <p>Immutable and thread-safe; build with {@link #atLeastOnce}, {@link #withSessions} or {@link
 * #transactional}.
 */
public final class OutboxConsumer {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    private final String name;
    private final @Nullable EventHandler handler;
    private final @Nullable SessionHandler sessionHandler;
    private final @Nullable TransactionalEventHandler transactionalHandler;
    private final int batchSize;
    private final StartPosition startFrom;
    private final RetryPolicy retryPolicy;
    private final FailurePolicy failurePolicy;
    private final int partitions;
    private final boolean readAhead;

    private OutboxConsumer(Builder builder) {
        this.name = builder.name;
        this.handler = builder.handler;
        this.sessionHandler = builder.sessionHandler;
        this.transactionalHandler = builder.transactionalHandler;
        this.batchSize = builder.batchSize;
        this.startFrom = builder.startFrom;
        this.partitions = builder.partitions;
        this.retryPolicy = builder.retryPolicy;
        this.failurePolicy = builder.failurePolicy;
        this.readAhead = builder.readAhead;
    }

    /**
     * A consumer that updates a system outside the database: at-least-once delivery, see {@link
     * EventHandler}.
     */
    public static Builder atLeastOnce(String name, EventHandler handler) {
        return new Builder(name, Objects.requireNonNull(handler, "handler"), null, null);
    }

    /**
     * An at-least-once consumer whose handler keeps state per lease (a producer, a connection, a
     * position kept downstream): see {@link SessionHandler}. Delivery is as for {@link
     * #atLeastOnce}.
     */
    public static Builder withSessions(String name, SessionHandler handler) {
        return new Builder(name, null, Objects.requireNonNull(handler, "handler"), null);
    }

    /**
     * A consumer that updates tables in the outbox's database in the relay's transaction:
     * exactly-once delivery, see {@link TransactionalEventHandler}.
     */
    public static Builder transactional(String name, TransactionalEventHandler handler) {
        return new Builder(name, null, null, Objects.requireNonNull(handler, "handler"));
    }

    public String name() {
        return name;
    }

    /** Whether the handler runs in the relay's transaction (exactly once). */
    public boolean isTransactional() {
        return transactionalHandler != null;
    }

    /** The handler given to {@link #atLeastOnce}, or {@code null} for another kind of consumer. */
    public @Nullable EventHandler handler() {
        return handler;
    }

    /** The handler given to {@link #withSessions}, or {@code null} for another kind of consumer. */
    public @Nullable SessionHandler sessionHandler() {
        return sessionHandler;
    }

    /** The transactional handler, or {@code null} for an at-least-once consumer. */
    public @Nullable TransactionalEventHandler transactionalHandler() {
        return transactionalHandler;
    }

    public int batchSize() {
        return batchSize;
    }

    public StartPosition startFrom() {
        return startFrom;
    }

    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    public FailurePolicy failurePolicy() {
        return failurePolicy;
    }

    /**
     * How many partitions the consumer is split into (1: not split). Partition k delivers the events
     * whose key {@link KeyPartitioner#partitionOf(String, int) maps} to k, in seq order, with its own
     * checkpoint, lease and failure state; relays share a consumer's partitions among them.
     */
    public int partitions() {
        return partitions;
    }

    /** Whether the next batch is read while the handler works on a full one: see {@link Builder#readAhead}. */
    public boolean readsAhead() {
        return readAhead;
    }

    @Override
    public String toString() {
        return "OutboxConsumer[" + name + (isTransactional() ? ", transactional" : ", at-least-once") + "]";
    }

    /** Builds an {@link OutboxConsumer}. Not thread-safe; {@link #build()} validates. */
    public static final class Builder {
        private final String name;
        private final @Nullable EventHandler handler;
        private final @Nullable SessionHandler sessionHandler;
        private final @Nullable TransactionalEventHandler transactionalHandler;
        private int batchSize = 1000;
        private StartPosition startFrom = StartPosition.HEAD;
        private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
        private FailurePolicy failurePolicy = FailurePolicy.BLOCK;
        private int partitions = 1;
        private boolean readAhead;

        private Builder(
                String name,
                @Nullable EventHandler handler,
                @Nullable SessionHandler sessionHandler,
                @Nullable TransactionalEventHandler transactional) {
            this.name = Objects.requireNonNull(name, "name");
            this.handler = handler;
            this.sessionHandler = sessionHandler;
            this.transactionalHandler = transactional;
        }

        /**
         * Most events per handler call, and per checkpoint write. Default 1000; range 1 to 10,000. A
         * larger batch costs fewer round trips per event, so a backlog drains faster; a smaller one
         * bounds what an at-least-once handler sees again after a crash.
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Where a consumer without a checkpoint starts. Default {@link StartPosition#HEAD}: a consumer
         * added to a running system (one that sends e-mails, say) does not replay the retained past;
         * ask for {@link StartPosition#BEGINNING} to build a derived system from the whole log. The
         * checkpoint is created when a relay that registers the consumer starts.
         */
        public Builder startFrom(StartPosition startFrom) {
            this.startFrom = Objects.requireNonNull(startFrom, "startFrom");
            return this;
        }

        /** How a failed event is retried. Default {@link RetryPolicy#DEFAULT}. */
        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
            return this;
        }

        /**
         * What happens to an event still failing after {@link RetryPolicy#maxAttempts()}. Default
         * {@link FailurePolicy#BLOCK}: the consumer stops there and never skips an event.
         */
        public Builder failurePolicy(FailurePolicy failurePolicy) {
            this.failurePolicy = Objects.requireNonNull(failurePolicy, "failurePolicy");
            return this;
        }

        /**
         * Splits the consumer into {@code partitions} partitions by key, so that several handler
         * calls run at once: one per partition, spread over every relay that registers the consumer.
         * Default 1 (one lease, one handler call at a time); range 1 to 1024. An event belongs to
         * partition {@code toPositive(murmur2(utf8(aggregateId))) % partitions}, Kafka's keyed
         * partitioner, so one key keeps its order and partition k maps to partition k of a Kafka
         * topic with as many partitions. Fixed once a relay created the consumer's rows: a relay
         * that declares another number is refused at start (use a new consumer name).
         */
        public Builder partitions(int partitions) {
            this.partitions = partitions;
            return this;
        }

        /**
         * Whether the next batch is read while the handler works on the current one. Default off.
         * When a read fills its batch (a backlog), the next batch is read at once on another thread,
         * on the assumption that the handler processes this one whole; the next delivery uses it if
         * so, and drops it and reads afresh if not (the handler failed, a key was parked, the lease
         * moved). The database's work then overlaps the handler's instead of waiting for it: worth
         * it for a handler that waits on a remote system, which {@code KafkaPublisher} turns it on
         * for (1.2x to 1.4x its drain on PostgreSQL, 1.1x to 1.2x on MariaDB: BENCHMARKS.md section
         * 9). It costs a second batch in memory and, while the read runs, a second connection of
         * the relay's pool: a pool needs one more connection per consumer partition that reads
         * ahead at the same time. At-least-once consumers only: a transactional consumer reads its
         * batch in the transaction that saves its checkpoint.
         */
        public Builder readAhead(boolean readAhead) {
            this.readAhead = readAhead;
            return this;
        }

        public OutboxConsumer build() {
            if (!NAME.matcher(name).matches()) {
                throw new OutboxConfigurationException("consumer name must be 1 to 100 characters of"
                        + " [A-Za-z0-9._-], starting with a letter or digit, was '" + name + "'");
            }
            if (batchSize < 1 || batchSize > 10_000) {
                throw new OutboxConfigurationException(
                        "consumer '" + name + "': batchSize must be in [1, 10000], was " + batchSize);
            }
            if (partitions < 1 || partitions > 1024) {
                throw new OutboxConfigurationException(
                        "consumer '" + name + "': partitions must be in [1, 1024], was " + partitions);
            }
            if (readAhead && transactionalHandler != null) {
                throw new OutboxConfigurationException("consumer '" + name + "': readAhead is for at-least-once"
                        + " consumers; a transactional consumer reads its batch in the transaction that saves its"
                        + " checkpoint (remove readAhead(true))");
            }
            return new OutboxConsumer(this);
        }
    }
}
