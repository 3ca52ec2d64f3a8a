package dev.outbox.kafka.internal;

import dev.outbox.OutboxConfigurationException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;

/**
 * The producer settings a publisher runs with: the user's properties (read afresh for each producer,
 * so that a supplier can hand out renewed credentials), checked, with what the publisher's
 * guarantees need set on top. Each rule says why in its message. Also derives from them the
 * settings of the admin client and of the reader of the checkpoint topic (connection and security
 * only). Thread-safe; never logs a value, since properties may hold passwords.
 */
public final class ProducerSettings {

    /** Kafka's producer setting for it; a string, since older clients lack the constant. */
    static final String METADATA_RECOVERY_STRATEGY = "metadata.recovery.strategy";

    /**
     * Defaults the publisher chooses where the user did not: {@code none} keeps {@code send()} from
     * blocking while every broker is down (the records wait in the producer's buffer instead), and a
     * producer that failed is replaced by a new one, which bootstraps afresh; a delivery timeout of
     * 30 s (Kafka's is 120 s) shows a broker outage in the consumer's status within half a minute.
     */
    private static final Map<String, Object> DEFAULTS = Map.of(
            METADATA_RECOVERY_STRATEGY,
            "none",
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
            30_000,
            ProducerConfig.MAX_BLOCK_MS_CONFIG,
            30_000);

    /**
     * Why at-least-once mode sends one request at a time: a broker accepts any sequence number from
     * a producer it has no state for, so when a new producer's first request is refused for a moment
     * (a partition whose leader is still starting) and its second is written, the first is then
     * refused as out of sequence and sent again after the second: a key's newer record before an
     * older one. Exactly-once mode aborts such a transaction, so it may keep up to 5.
     */
    static final String ONE_REQUEST_IN_FLIGHT = "a new producer's later request can be written before its first,"
            + " which Kafka refused for a moment, so the publisher sends one request at a time (remove the"
            + " property; for more throughput give the consumer larger batches, or publish exactly once)";

    /**
     * A producer batch per partition holds up to 256 KiB rather than Kafka's 16 KiB: a relay's batch
     * is sent whole and then awaited (at least once, one request in flight at a time) or committed
     * (exactly once), so a batch of 1,000 records of 200 bytes goes in one request per partition
     * instead of a dozen or more. Fewer, larger requests cost the broker less: 1.4x the throughput
     * exactly once, measured (BENCHMARKS.md section 9).
     */
    static final int BATCH_BYTES = 256 * 1024;

    private static final Set<String> ACKS_ALL = Set.of("all", "-1");
    private static final String BYTES_SERIALIZER = ByteArraySerializer.class.getName();

    private final Supplier<Properties> source;
    private final boolean transactional;

    public ProducerSettings(Supplier<Properties> source, boolean transactional) {
        this.source = Objects.requireNonNull(source, "source");
        this.transactional = transactional;
    }

    /**
     * The settings of a new producer named {@code clientSuffix} (appended to the user's {@code
     * client.id}), with {@code transactionalId} in exactly-once mode.
     *
     * @throws OutboxConfigurationException if the user's properties break a rule
     */
    public Map<String, Object> producer(String clientSuffix, @Nullable String transactionalId) {
        Map<String, Object> settings = checkedUserProperties();
        boolean ownTimeouts = settings.containsKey(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)
                || settings.containsKey(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
        DEFAULTS.forEach(settings::putIfAbsent);
        if (!ownTimeouts) { // a request may time out and be sent again within the delivery timeout
            settings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        }
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, BYTES_SERIALIZER);
        settings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, BYTES_SERIALIZER);
        settings.put(ProducerConfig.CLIENT_ID_CONFIG, clientId(settings, clientSuffix));
        settings.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_BYTES);
        if (transactionalId != null) {
            settings.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        } else {
            settings.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        }
        return settings;
    }

    /** What a check of the settings found that the publisher needs to know. */
    public record Checked(int maxRequestSize, int deliveryTimeoutMillis) {}

    /**
     * Checks the user's properties as a producer would take them, with Kafka's own validation too, so
     * that a publisher with bad settings fails when it is built, not when a relay first uses it.
     */
    public Checked validate() {
        Map<String, Object> settings = producer("check", transactional ? "outbox-check" : null);
        try {
            ProducerConfig config = new ProducerConfig(settings);
            return new Checked(
                    config.getInt(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                    config.getInt(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
        } catch (ConfigException e) {
            throw new OutboxConfigurationException(
                    "KafkaPublisher: the producer properties are invalid: " + e.getMessage(), e);
        }
    }

    /** The admin client's settings: the user's connection and security settings. */
    public Map<String, Object> admin(String clientSuffix) {
        Map<String, Object> settings = only(AdminClientConfig.configNames());
        settings.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId(settings, clientSuffix));
        return settings;
    }

    /**
     * The settings of a consumer that reads committed records only (of the checkpoint topic),
     * assigned by hand: no group, no offsets committed.
     */
    public Map<String, Object> committedReader(String clientSuffix) {
        Map<String, Object> settings = only(ConsumerConfig.configNames());
        settings.remove(ConsumerConfig.GROUP_ID_CONFIG);
        settings.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        settings.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        settings.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId(settings, clientSuffix));
        return settings;
    }

    private Map<String, Object> only(Set<String> names) {
        Map<String, Object> settings = checkedUserProperties();
        settings.keySet().retainAll(names);
        return settings;
    }

    private static String clientId(Map<String, Object> settings, String suffix) {
        Object own = settings.get(ProducerConfig.CLIENT_ID_CONFIG);
        return (own == null || own.toString().isBlank() ? "outbox" : own.toString()) + "-" + suffix;
    }

    private Map<String, Object> checkedUserProperties() {
        Properties properties = Objects.requireNonNull(source.get(), "the producer properties supplier returned null");
        Map<String, Object> settings = new HashMap<>();
        for (String name : properties.stringPropertyNames()) {
            settings.put(name, properties.getProperty(name));
        }
        properties.forEach((name, value) -> settings.put(String.valueOf(name), value)); // non-string values too
        Object servers = settings.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
        if (servers == null || servers.toString().isBlank()) {
            throw refused("bootstrap.servers is missing: give the brokers to connect to");
        }
        refuseUnless(
                settings,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                Set.of("true"),
                "the publisher needs the idempotent producer, which keeps each partition's records in order and"
                        + " without duplicates through the producer's retries");
        refuseUnless(
                settings,
                ProducerConfig.ACKS_CONFIG,
                ACKS_ALL,
                "a record counts as published, and the checkpoint moves past it, only once every in-sync"
                        + " replica has it");
        Object inFlight = settings.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
        if (inFlight != null) {
            int requests = integer(inFlight, ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
            if (!transactional && requests > 1) {
                throw refused(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION + "=" + inFlight
                        + " is refused at least once: " + ONE_REQUEST_IN_FLIGHT);
            }
            if (requests > 5) {
                throw refused(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION + "=" + inFlight
                        + " is refused: the idempotent producer keeps order with at most 5 requests in flight");
            }
        }
        Object retries = settings.get(ProducerConfig.RETRIES_CONFIG);
        if (retries != null && integer(retries, ProducerConfig.RETRIES_CONFIG) < 1) {
            throw refused(ProducerConfig.RETRIES_CONFIG + "=" + retries
                    + " is refused: the idempotent producer retries a send it lost; bound it with"
                    + " delivery.timeout.ms instead");
        }
        refuseUnless(
                settings,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                Set.of(BYTES_SERIALIZER),
                "the key is the aggregate id's UTF-8 bytes");
        refuseUnless(
                settings,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                Set.of(BYTES_SERIALIZER),
                "give a ValueSerializer to KafkaPublisher.Builder.valueSerializer instead");
        if (settings.containsKey(ProducerConfig.PARTITIONER_CLASS_CONFIG)) {
            throw refused(ProducerConfig.PARTITIONER_CLASS_CONFIG + " is refused: Kafka's keyed partitioner keeps"
                    + " each key in one partition, the one outbox partition k maps to partition k with");
        }
        refuseUnless(
                settings,
                "partitioner.ignore.keys",
                Set.of("false"),
                "records must be partitioned by key to keep each key's order");
        if (settings.containsKey(ProducerConfig.TRANSACTIONAL_ID_CONFIG)) {
            throw refused(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG + " is refused: the publisher sets one per consumer"
                            + " partition; ask for exactly-once with KafkaPublisher.Builder.exactlyOnce(transactionalIdPrefix)");
        }
        return settings;
    }

    private static void refuseUnless(Map<String, Object> settings, String name, Set<String> allowed, String why) {
        Object value = settings.get(name);
        if (value == null) {
            return;
        }
        String text = value instanceof Class<?> type
                ? type.getName()
                : value.toString().trim().toLowerCase();
        if (allowed.stream().noneMatch(ok -> ok.equalsIgnoreCase(text))) {
            throw refused(name + "=" + value + " is refused: " + why + " (remove the property)");
        }
    }

    private static int integer(Object value, String name) {
        try {
            return value instanceof Number number
                    ? number.intValue()
                    : Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException e) {
            throw refused(name + " must be a number, was '" + value + "'");
        }
    }

    private static OutboxConfigurationException refused(String message) {
        return new OutboxConfigurationException("KafkaPublisher: producer property " + message);
    }
}
