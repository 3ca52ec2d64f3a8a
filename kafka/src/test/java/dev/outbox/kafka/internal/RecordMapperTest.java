package dev.outbox.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxRecord;
import dev.outbox.kafka.TopicRouter;
import dev.outbox.kafka.ValueSerializer;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class RecordMapperTest {

    private static final Instant CREATED = Instant.parse("2026-12-06T10:15:30.123456Z");

    private static OutboxRecord entry(long seq, @Nullable String type, String key, Map<String, String> headers) {
        return new OutboxRecord(
                seq,
                UUID.fromString("00000000-0000-0000-0000-0000000000" + (10 + seq % 90)),
                type,
                key,
                "Enrolled",
                "{\"student\":\"Zoë\"}",
                headers,
                CREATED,
                CREATED.plusMillis(5));
    }

    private static ProducerRecord<byte[], byte[]> ready(RecordMapper.Mapped mapped) {
        assertThat(mapped).isInstanceOf(RecordMapper.Ready.class);
        return ((RecordMapper.Ready) mapped).record();
    }

    private static Map<String, String> headers(ProducerRecord<byte[], byte[]> record) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : record.headers()) {
            headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
        }
        return headers;
    }

    @Test
    void shouldMapAnEntryToTheDebeziumShapedRecord() {
        RecordMapper mapper = new RecordMapper(TopicRouter.byAggregateType(), ValueSerializer.payloadUtf8());
        Map<String, String> own = new LinkedHashMap<>();
        own.put("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        own.put("id", "spoofed");
        ProducerRecord<byte[], byte[]> record = ready(mapper.map(entry(42, "course", "course-7", own)));

        assertThat(record.topic()).isEqualTo("outbox.event.course");
        assertThat(record.partition()).isNull(); // Kafka's keyed partitioner decides
        assertThat(record.timestamp()).isNull(); // the producer's time
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("course-7");
        assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo("{\"student\":\"Zoë\"}");
        assertThat(headers(record))
                .containsEntry("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .containsEntry("id", "00000000-0000-0000-0000-000000000052")
                .containsEntry("outbox-seq", "42")
                .containsEntry("outbox-event-type", "Enrolled")
                .containsEntry("outbox-aggregate-type", "course")
                .containsEntry("outbox-created-at", "2026-12-06T10:15:30.123456Z");
        assertThat(record.headers().headers("id")).hasSize(1); // the event's own 'id' is left out
    }

    @Test
    void shouldRouteEntriesWithoutAnAggregateTypeToThePrefixAlone() {
        RecordMapper mapper = new RecordMapper(TopicRouter.byAggregateType(), ValueSerializer.payloadUtf8());
        ProducerRecord<byte[], byte[]> record = ready(mapper.map(entry(1, null, "k", Map.of())));
        assertThat(record.topic()).isEqualTo("outbox.event");
        assertThat(headers(record)).doesNotContainKey("outbox-aggregate-type");
        assertThat(ready(new RecordMapper(TopicRouter.fixed("all-events"), ValueSerializer.payloadUtf8())
                                .map(entry(2, "course", "k", Map.of())))
                        .topic())
                .isEqualTo("all-events");
    }

    @Test
    void shouldRejectAnEntryWhoseTopicTheRouterCannotNameSayingWhichAndWhy() {
        for (String topic : new String[] {null, " ", "has space", "..", "x".repeat(250)}) {
            RecordMapper mapper = new RecordMapper(record -> topic, ValueSerializer.payloadUtf8());
            RecordMapper.Mapped mapped = mapper.map(entry(17, "course", "course-1", Map.of()));
            assertThat(mapped).as(String.valueOf(topic)).isInstanceOf(RecordMapper.Rejected.class);
            assertThat(((RecordMapper.Rejected) mapped).reason().getMessage())
                    .startsWith("seq 17 (key 'course-1', type 'Enrolled') cannot be published: its topic router ");
        }
        RecordMapper throwing = new RecordMapper(
                record -> {
                    throw new IllegalStateException("no route for course");
                },
                ValueSerializer.payloadUtf8());
        assertThat(((RecordMapper.Rejected) throwing.map(entry(3, "course", "k", Map.of())))
                        .reason()
                        .getMessage())
                .contains("its topic router threw java.lang.IllegalStateException: no route for course");
    }

    @Test
    void shouldRejectAnEntryWhoseValueCannotBeSerialized() {
        RecordMapper mapper = new RecordMapper(TopicRouter.fixed("t"), record -> {
            throw new IllegalArgumentException("not JSON");
        });
        RecordMapper.Mapped mapped = mapper.map(entry(5, "course", "k", Map.of()));
        assertThat(((RecordMapper.Rejected) mapped).reason().getMessage())
                .contains("seq 5")
                .contains("its value serializer threw java.lang.IllegalArgumentException: not JSON");
        assertThat(ready(new RecordMapper(TopicRouter.fixed("t"), record -> null)
                                .map(entry(6, "course", "k", Map.of())))
                        .value())
                .as("a tombstone")
                .isNull();
    }

    @Test
    void shouldBoundTheSizeOfARecordAtLeastAsHighAsKafkaDoes() throws Exception {
        RecordMapper mapper = new RecordMapper(TopicRouter.byAggregateType(), ValueSerializer.payloadUtf8());
        for (int payload : new int[] {0, 1, 127, 128, 16_383, 16_384, 1_000_000}) {
            OutboxRecord big = new OutboxRecord(
                    9,
                    UUID.randomUUID(),
                    "course",
                    "k".repeat(payload % 300 + 1),
                    "Enrolled",
                    "x".repeat(payload),
                    Map.of("traceparent", "t".repeat(55)),
                    CREATED,
                    CREATED);
            RecordMapper.Ready ready = (RecordMapper.Ready) mapper.map(big);
            int kafkas = kafkasUpperBound(ready.record());
            assertThat(ready.sizeUpperBound()).as("payload %d", payload).isBetween(kafkas, kafkas + 64);
        }
    }

    /** Kafka's own bound of a batch holding this record alone (its class moved between versions). */
    private static int kafkasUpperBound(ProducerRecord<byte[], byte[]> record) throws Exception {
        String in; // the package of Kafka's record classes: made internal in 4.x
        try {
            Class.forName("org.apache.kafka.common.record.internal.AbstractRecords");
            in = "org.apache.kafka.common.record.internal.";
        } catch (ClassNotFoundException e) {
            in = "org.apache.kafka.common.record.";
        }
        Class<?> records = Class.forName(in + "AbstractRecords");
        Class<?> compression = Class.forName(in + "CompressionType");
        Method bound = records.getMethod(
                "estimateSizeInBytesUpperBound", byte.class, compression, byte[].class, byte[].class, Header[].class);
        Object none = compression.getField("NONE").get(null);
        return (int) bound.invoke(
                null,
                (byte) 2,
                none,
                record.key(),
                record.value(),
                record.headers().toArray());
    }

    @Test
    void shouldLeaveNoHeaderOutButThoseItSetsItself() {
        RecordMapper mapper = new RecordMapper(TopicRouter.fixed("t"), ValueSerializer.payloadUtf8());
        Map<String, String> own = Map.of("content-type", "application/json", "tenant", "42");
        assertThat(headers(ready(mapper.map(entry(1, "c", "k", own)))).keySet())
                .containsAll(List.of("content-type", "tenant"));
    }
}
