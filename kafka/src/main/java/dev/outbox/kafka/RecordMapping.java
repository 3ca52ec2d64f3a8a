package dev.outbox.kafka;

import dev.outbox.OutboxRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.jspecify.annotations.Nullable;

/**
 * What a log entry becomes in Kafka, the one definition that the {@link KafkaPublisher} and the
 * Kafka Connect source connector ({@code outbox-kafka-connect}) share: the topic its {@link
 * TopicRouter} names, the key (the aggregate id's UTF-8 bytes, so that Kafka's keyed partitioner
 * keeps a key in one partition, the partition {@link dev.outbox.KeyPartitioner} gives it), the value
 * its {@link ValueSerializer} makes, and the headers: the event's own, then {@value #ID} (the event
 * id, Debezium's name), {@value #SEQ}, {@value #EVENT_TYPE}, {@value #AGGREGATE_TYPE} and {@value
 * #CREATED_AT}, each a UTF-8 string. An event header with one of those names is left out: the
 * entry's own value wins. The record names no partition and no timestamp: Kafka's keyed partitioner
 * chooses the partition, and the producer sets the time of publishing, so that a replay of old
 * entries is not deleted at once by the topic's time-based retention (the event's time is in
 * {@value #CREATED_AT}).
 *
 * <p>Thread-safe if its router and serializer are.
 */
public final class RecordMapping {

    /** The event id (a UUID), under Debezium's header name. */
    public static final String ID = "id";
    /** The entry's seq in the log, in decimal. */
    public static final String SEQ = "outbox-seq";
    /** The event's type. */
    public static final String EVENT_TYPE = "outbox-event-type";
    /** The event's aggregate type, when it has one. */
    public static final String AGGREGATE_TYPE = "outbox-aggregate-type";
    /** When the event was appended, ISO-8601 in UTC. */
    public static final String CREATED_AT = "outbox-created-at";

    private static final Set<String> OWN_HEADERS = Set.of(ID, SEQ, EVENT_TYPE, AGGREGATE_TYPE, CREATED_AT);
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private final TopicRouter router;
    private final ValueSerializer values;
    /** The topic the router named last, checked valid: most routers name the same few topics again. */
    private volatile @Nullable String lastValidTopic;

    private RecordMapping(TopicRouter router, ValueSerializer values) {
        this.router = router;
        this.values = values;
    }

    /** The mapping with {@code router}'s topics and {@code values}' values. */
    public static RecordMapping of(TopicRouter router, ValueSerializer values) {
        return new RecordMapping(Objects.requireNonNull(router, "router"), Objects.requireNonNull(values, "values"));
    }

    /**
     * The Kafka record of {@code entry}.
     *
     * @throws UnpublishableRecordException naming the entry's seq, when its router throws or names no
     *     valid topic, or its serializer throws
     */
    public ProducerRecord<byte[], byte[]> toRecord(OutboxRecord entry) {
        Objects.requireNonNull(entry, "entry");
        String topic;
        try {
            topic = router.topic(entry);
        } catch (RuntimeException e) {
            throw unpublishable(entry, "its topic router threw " + e, e);
        }
        if (topic == null || !topic.equals(lastValidTopic)) {
            String problem = topicProblem(topic);
            if (problem != null) {
                throw unpublishable(entry, "its topic router " + problem, null);
            }
            lastValidTopic = topic;
        }
        byte[] value;
        try {
            value = values.serialize(entry);
        } catch (Exception e) {
            throw unpublishable(entry, "its value serializer threw " + e, e);
        }
        byte[] key = entry.aggregateId().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, null, key, value, headers(entry));
    }

    /**
     * Why {@code topic} is not a name a record can be sent to (what a router's answer is checked
     * against: 1 to 249 characters of {@code [a-zA-Z0-9._-]}, not {@code .} or {@code ..}), phrased
     * to follow "its topic router"; {@code null} when it is a valid name.
     */
    public static @Nullable String topicProblem(@Nullable String topic) {
        if (topic == null) {
            return "returned null";
        }
        if (topic.isBlank()) {
            return "returned a blank topic";
        }
        if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            return "returned '" + topic + "', not a valid topic name (1 to 249 characters of [a-zA-Z0-9._-],"
                    + " not '.' or '..')";
        }
        return null;
    }

    private static UnpublishableRecordException unpublishable(
            OutboxRecord entry, String why, @Nullable Throwable cause) {
        return new UnpublishableRecordException(
                "seq " + entry.seq() + " (key '" + entry.aggregateId() + "', type '" + entry.eventType()
                        + "') cannot be published: " + why,
                cause);
    }

    private static List<Header> headers(OutboxRecord entry) {
        List<Header> headers = new ArrayList<>(entry.headers().size() + 5);
        for (Map.Entry<String, String> header : entry.headers().entrySet()) {
            if (!OWN_HEADERS.contains(header.getKey())) {
                headers.add(utf8(header.getKey(), header.getValue()));
            }
        }
        headers.add(utf8(ID, entry.eventId().toString()));
        headers.add(utf8(SEQ, Long.toString(entry.seq())));
        headers.add(utf8(EVENT_TYPE, entry.eventType()));
        if (entry.aggregateType() != null) {
            headers.add(utf8(AGGREGATE_TYPE, entry.aggregateType()));
        }
        headers.add(utf8(CREATED_AT, entry.createdAt().toString()));
        return headers;
    }

    private static Header utf8(String name, String value) {
        return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
