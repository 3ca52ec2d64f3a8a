package dev.outbox.kafka.internal;

import dev.outbox.OutboxRecord;
import dev.outbox.kafka.TopicRouter;
import dev.outbox.kafka.UnpublishableRecordException;
import dev.outbox.kafka.ValueSerializer;
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
 * What a log entry becomes in Kafka: the topic its router names, the key (the aggregate id's UTF-8
 * bytes, so that Kafka's keyed partitioner keeps a key in one partition), the value its serializer
 * makes, and the headers: the event's own, then {@value #ID} (the event id, Debezium's name), {@value
 * #SEQ}, {@value #EVENT_TYPE}, {@value #AGGREGATE_TYPE} and {@value #CREATED_AT}. An event header with
 * one of those names is left out: the entry's own value wins. The record's timestamp is left to
 * the producer (the time of publishing), so a replay of old entries is not deleted at once by the
 * topic's time-based retention; the event's time is in {@value #CREATED_AT}.
 *
 * <p>Also bounds the record's size from above as the broker stores it (a batch holding it alone),
 * so that a record over a limit is refused before anything is sent. Thread-safe.
 */
public final class RecordMapper {

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

    /** The header of a record batch of the current format, which a record is stored in. */
    private static final int BATCH_OVERHEAD = 61;
    /** Most bytes of a variable-length int and long. */
    private static final int VARINT = 5;

    private static final int VARLONG = 10;

    /** A log entry as a Kafka record, or why it cannot be one. */
    public sealed interface Mapped permits Ready, Rejected {}

    /**
     * The record, and an upper bound of its size in a batch of its own (what the producer's {@code
     * max.request.size} and the topic's {@code max.message.bytes} limit).
     */
    public record Ready(ProducerRecord<byte[], byte[]> record, int sizeUpperBound) implements Mapped {}

    /** The entry cannot be published: the reason names its seq. */
    public record Rejected(UnpublishableRecordException reason) implements Mapped {}

    private final TopicRouter router;
    private final ValueSerializer values;

    public RecordMapper(TopicRouter router, ValueSerializer values) {
        this.router = Objects.requireNonNull(router, "router");
        this.values = Objects.requireNonNull(values, "values");
    }

    public Mapped map(OutboxRecord entry) {
        String topic;
        try {
            topic = router.topic(entry);
        } catch (RuntimeException e) {
            return rejected(entry, "its topic router threw " + e, e);
        }
        String problem = topicProblem(topic);
        if (problem != null) {
            return rejected(entry, "its topic router " + problem, null);
        }
        byte[] value;
        try {
            value = values.serialize(entry);
        } catch (Exception e) {
            return rejected(entry, "its value serializer threw " + e, e);
        }
        byte[] key = entry.aggregateId().getBytes(StandardCharsets.UTF_8);
        List<Header> headers = headers(entry);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, null, key, value, headers);
        return new Ready(record, sizeUpperBound(key, value, headers));
    }

    /** Why {@code topic} is not a topic name a record can be sent to, or {@code null} when it is one. */
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

    private static Rejected rejected(OutboxRecord entry, String why, @Nullable Throwable cause) {
        return new Rejected(new UnpublishableRecordException(
                "seq " + entry.seq() + " (key '" + entry.aggregateId() + "', type '" + entry.eventType()
                        + "') cannot be published: " + why,
                cause));
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

    /**
     * The most bytes a batch holding only this record takes (format v2): the batch header, then the
     * record's length, attributes, timestamp and offset deltas, key, value and headers, every length
     * a variable-length int counted at its widest. Compression could only shrink it.
     */
    static int sizeUpperBound(byte[] key, byte @Nullable [] value, List<Header> headers) {
        long size = BATCH_OVERHEAD + VARINT + 1 + VARLONG + VARINT;
        size += VARINT + key.length;
        size += VARINT + (value == null ? 0 : value.length);
        size += VARINT;
        for (Header header : headers) {
            size += VARINT + header.key().getBytes(StandardCharsets.UTF_8).length;
            size += VARINT + (header.value() == null ? 0 : header.value().length);
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }
}
