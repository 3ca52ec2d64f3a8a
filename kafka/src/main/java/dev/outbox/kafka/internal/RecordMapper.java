package dev.outbox.kafka.internal;

import dev.outbox.OutboxRecord;
import dev.outbox.kafka.RecordMapping;
import dev.outbox.kafka.TopicRouter;
import dev.outbox.kafka.UnpublishableRecordException;
import dev.outbox.kafka.ValueSerializer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.utils.Utils;
import org.jspecify.annotations.Nullable;

/**
 * The publisher's use of {@link RecordMapping} (what a log entry becomes in Kafka, shared with the
 * Kafka Connect source connector): the record, or why it cannot be one, and an upper bound of the
 * record's size as the broker stores it (a batch holding it alone), so that a record over a limit is
 * refused before anything is sent. Thread-safe.
 */
public final class RecordMapper {

    /** The event id (a UUID), under Debezium's header name. */
    public static final String ID = RecordMapping.ID;
    /** The entry's seq in the log, in decimal. */
    public static final String SEQ = RecordMapping.SEQ;
    /** The event's type. */
    public static final String EVENT_TYPE = RecordMapping.EVENT_TYPE;
    /** The event's aggregate type, when it has one. */
    public static final String AGGREGATE_TYPE = RecordMapping.AGGREGATE_TYPE;
    /** When the event was appended, ISO-8601 in UTC. */
    public static final String CREATED_AT = RecordMapping.CREATED_AT;

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

    private final RecordMapping mapping;

    public RecordMapper(TopicRouter router, ValueSerializer values) {
        this.mapping = RecordMapping.of(router, values);
    }

    public Mapped map(OutboxRecord entry) {
        ProducerRecord<byte[], byte[]> record;
        try {
            record = mapping.toRecord(entry);
        } catch (UnpublishableRecordException e) {
            return new Rejected(e);
        }
        return new Ready(record, sizeUpperBound(record.key(), record.value(), record.headers()));
    }

    /** Why {@code topic} is not a topic name a record can be sent to, or {@code null} when it is one. */
    public static @Nullable String topicProblem(@Nullable String topic) {
        return RecordMapping.topicProblem(topic);
    }

    /**
     * The most bytes a batch holding only this record takes (format v2): the batch header, then the
     * record's length, attributes, timestamp and offset deltas, key, value and headers, every length
     * a variable-length int counted at its widest. Compression could only shrink it.
     */
    static int sizeUpperBound(byte[] key, byte @Nullable [] value, Iterable<Header> headers) {
        long size = BATCH_OVERHEAD + VARINT + 1 + VARLONG + VARINT;
        size += VARINT + key.length;
        size += VARINT + (value == null ? 0 : value.length);
        size += VARINT;
        for (Header header : headers) {
            size += VARINT + Utils.utf8Length(header.key());
            size += VARINT + (header.value() == null ? 0 : header.value().length);
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }
}
