package dev.outbox.localkafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;

/**
 * What a downstream consumer with {@code isolation.level=read_committed} reads from topics, for the
 * tests that judge what the publisher and the connector wrote.
 */
public final class CommittedRecords {

    private CommittedRecords() {}

    /** A record as such a consumer reads it: where it was, and what it says. */
    public record CommittedRecord(
            String topic,
            int partition,
            long offset,
            String key,
            @Nullable String value,
            Map<String, String> headers) {

        /** The log entry's seq, from the {@code outbox-seq} header. */
        public long seq() {
            return Long.parseLong(headers.get("outbox-seq"));
        }
    }

    /**
     * Every record of {@code topics} that a {@code read_committed} consumer reads from the beginning
     * to the end (as it is once {@code expected} records are there, or after {@code timeout}), in
     * each partition's order.
     */
    public static List<CommittedRecord> read(
            String bootstrapServers, List<String> topics, int expected, Duration timeout) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrapServers);
        settings.put("isolation.level", "read_committed");
        settings.put("enable.auto.commit", false);
        settings.put("key.deserializer", ByteArrayDeserializer.class.getName());
        settings.put("value.deserializer", ByteArrayDeserializer.class.getName());
        List<CommittedRecord> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings)) {
            List<TopicPartition> partitions = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            for (String topic : topics) {
                List<PartitionInfo> infos = List.of();
                while (infos.isEmpty() && System.nanoTime() < deadline) {
                    infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
                }
                infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Map<String, String> headers = new LinkedHashMap<>();
                    for (Header header : record.headers()) {
                        headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
                    }
                    read.add(new CommittedRecord(
                            record.topic(),
                            record.partition(),
                            record.offset(),
                            new String(record.key(), StandardCharsets.UTF_8),
                            record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8),
                            headers));
                }
                if (read.size() >= expected && caughtUp(consumer, partitions)) {
                    break;
                }
            }
        }
        return read;
    }

    private static boolean caughtUp(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        return partitions.stream().allMatch(partition -> consumer.position(partition) >= ends.get(partition));
    }
}
