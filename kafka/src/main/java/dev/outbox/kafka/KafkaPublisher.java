package dev.outbox.kafka;

import dev.outbox.Lease;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.SessionHandler;
import dev.outbox.kafka.internal.ProducerSettings;
import dev.outbox.kafka.internal.Publishing;
import dev.outbox.kafka.internal.RecordMapper;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Publishes the outbox log to Kafka: a consumer of the log (register it with {@link
 * #consumer(String)}) that sends each entry as a record, in {@code seq} order.
 *
 * <ul>
 *   <li>Topic: from the {@link TopicRouter}, by default {@code outbox.event.<aggregateType>}
 *       (Debezium's outbox convention).
 *   <li>Key: the aggregate id (UTF-8), partitioned by Kafka's keyed partitioner, so a key stays in
 *       one partition and keeps its order there; a consumer split into P partitions publishes from
 *       outbox partition k exactly the keys Kafka maps to partition k of a topic with P partitions.
 *   <li>Value: the payload's UTF-8 bytes, or what the {@link ValueSerializer} makes.
 *   <li>Headers: the event's own (a {@code traceparent} among them travels on), then {@code id} (the
 *       event id, as Debezium names it), {@code outbox-seq}, {@code outbox-event-type}, {@code
 *       outbox-aggregate-type} and {@code outbox-created-at}.
 * </ul>
 *
 * <p><b>At least once</b> (the default): each relay's lease has its own idempotent producer ({@code
 * acks=all}, one request in flight). A batch is sent as a whole and every acknowledgement
 * awaited before the checkpoint moves; after a failure the producer is closed at once, never
 * flushed, and a new one sends the rest, so a key's records arrive in seq order, an older one after
 * a newer one only as a duplicate after a fault. A broker that cannot be reached is an unavailable
 * downstream: retried for ever, never counted, shown as {@code WAITING_FOR_DOWNSTREAM}. An entry
 * that cannot be published (a record over the producer's {@code max.request.size} or the topic's
 * {@code max.message.bytes}, checked before anything of the batch is sent; a topic the router could
 * not name) is an {@link UnpublishableRecordException}: the consumer's failure policy decides.
 *
 * <p><b>Exactly once</b> ({@link Builder#exactlyOnce(String)}): a transactional producer per consumer
 * partition, {@code transactional.id = <prefix>-<consumer>-<partition>}; one Kafka transaction per
 * batch, holding its records and the partition's position in a compacted checkpoint topic. A relay
 * that takes a lease fences the previous owner's producer and reads the position back, so entries a
 * crashed relay committed to Kafka but could not checkpoint are not published twice. Consumers of
 * the topics must read with {@code isolation.level=read_committed}.
 *
 * <p>Thread-safe: sessions of several partitions and consumers may share it. {@link #close()} it after
 * the relays that use it.
 */
public final class KafkaPublisher implements SessionHandler, AutoCloseable {

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    /** The topic where exactly-once mode keeps positions, unless {@link Builder#checkpointTopic} names another. */
    public static final String DEFAULT_CHECKPOINT_TOPIC = "outbox.checkpoints";

    private final Publishing publishing;
    private final boolean exactlyOnce;

    private KafkaPublisher(Builder builder) {
        this.exactlyOnce = builder.transactionalIdPrefix != null;
        this.publishing = new Publishing(
                new ProducerSettings(builder.properties, exactlyOnce),
                new RecordMapper(builder.router, builder.values),
                exactlyOnce
                        ? new Publishing.ExactlyOnce(
                                Objects.requireNonNull(builder.transactionalIdPrefix), builder.checkpointTopic)
                        : null);
    }

    /**
     * A publisher with these producer properties ({@code bootstrap.servers} at least; security
     * settings and tuning as for any producer). Read when the publisher is built and for each producer
     * it creates.
     */
    public static Builder builder(Properties producerProperties) {
        Objects.requireNonNull(producerProperties, "producerProperties");
        Properties copy = new Properties();
        copy.putAll(producerProperties);
        return new Builder(() -> copy);
    }

    /**
     * A publisher whose producer properties are read from {@code producerProperties} for each producer
     * it creates (to hand out renewed credentials, say).
     */
    public static Builder builder(Supplier<Properties> producerProperties) {
        return new Builder(Objects.requireNonNull(producerProperties, "producerProperties"));
    }

    /**
     * A consumer named {@code name} that publishes with this publisher: set its batch size (the
     * records of a Kafka transaction in exactly-once mode), start position, retry and failure policy
     * and partitions on the builder, as for any consumer. It {@linkplain
     * OutboxConsumer.Builder#readAhead reads ahead}: the next batch is read from the database while
     * Kafka acknowledges (or commits) this one ({@code readAhead(false)} turns it off).
     */
    public OutboxConsumer.Builder consumer(String name) {
        return OutboxConsumer.withSessions(name, this).readAhead(true);
    }

    /** Whether this publisher publishes exactly once (with Kafka transactions). */
    public boolean isExactlyOnce() {
        return exactlyOnce;
    }

    /** Called by the relay for each lease it takes: see {@link SessionHandler}. */
    @Override
    public Session open(Lease lease) {
        return publishing.open(lease);
    }

    /** Closes the admin client the sessions share. Close the relays that use the publisher first. */
    @Override
    public void close() {
        publishing.close();
    }

    /** Builds a {@link KafkaPublisher}. Not thread-safe; {@link #build()} checks the settings. */
    public static final class Builder {
        private final Supplier<Properties> properties;
        private TopicRouter router = TopicRouter.byAggregateType();
        private ValueSerializer values = ValueSerializer.payloadUtf8();
        private @Nullable String transactionalIdPrefix;
        private String checkpointTopic = DEFAULT_CHECKPOINT_TOPIC;

        private Builder(Supplier<Properties> properties) {
            this.properties = properties;
        }

        /** The topic of each entry. Default {@link TopicRouter#byAggregateType()}. */
        public Builder topicRouter(TopicRouter router) {
            this.router = Objects.requireNonNull(router, "router");
            return this;
        }

        /** The value of each record. Default {@link ValueSerializer#payloadUtf8()}. */
        public Builder valueSerializer(ValueSerializer serializer) {
            this.values = Objects.requireNonNull(serializer, "serializer");
            return this;
        }

        /**
         * Publishes exactly once, with Kafka transactions. {@code transactionalIdPrefix} names this
         * outbox among everything that uses transactions on the Kafka cluster: the producers' ids are
         * {@code <prefix>-<consumer>-<partition>}, and two outboxes with the same prefix and consumer
         * name would fence each other. 1 to 100 characters of {@code [A-Za-z0-9._-]}.
         */
        public Builder exactlyOnce(String transactionalIdPrefix) {
            this.transactionalIdPrefix = Objects.requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
            return this;
        }

        /**
         * The compacted topic where exactly-once mode keeps each consumer partition's position. Default
         * {@value #DEFAULT_CHECKPOINT_TOPIC}; created (one partition, compacted) when first needed
         * unless it exists.
         */
        public Builder checkpointTopic(String topic) {
            this.checkpointTopic = Objects.requireNonNull(topic, "topic");
            return this;
        }

        /**
         * Checks the settings and builds the publisher.
         *
         * @throws OutboxConfigurationException if a producer property would weaken a guarantee (see
         *     the README), or a name is invalid
         */
        public KafkaPublisher build() {
            if (transactionalIdPrefix != null
                    && !PREFIX.matcher(transactionalIdPrefix).matches()) {
                throw new OutboxConfigurationException("KafkaPublisher: exactlyOnce transactionalIdPrefix must be 1"
                        + " to 100 characters of [A-Za-z0-9._-], was '" + transactionalIdPrefix + "'");
            }
            String problem = RecordMapper.topicProblem(checkpointTopic);
            if (problem != null) {
                throw new OutboxConfigurationException("KafkaPublisher: checkpointTopic '" + checkpointTopic
                        + "' is not a valid topic name (1 to 249 characters of [a-zA-Z0-9._-])");
            }
            return new KafkaPublisher(this);
        }
    }
}
