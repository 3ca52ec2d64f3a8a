package dev.outbox.examples;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A third derived system, fed through Kafka: enrolment counts per course, kept by a plain Kafka
 * consumer in a thread of its own from the records the Kafka publisher published exactly once
 * (topic {@value #TOPIC}, key = course id, value = the event's JSON, headers {@code outbox-seq} and
 * {@code outbox-event-type}). It reads with {@code isolation.level=read_committed}, which
 * exactly-once publishing needs of every downstream consumer: records of aborted transactions are
 * never seen. It also keeps what the consistency check asks of it: each seq once, and each
 * enrolment's events in order (they share the course's key, so Kafka keeps them in one partition).
 */
final class KafkaEnrollmentCounts implements AutoCloseable {

    /** The outbox consumer that publishes to Kafka. */
    static final String CONSUMER_NAME = "to-kafka";

    /** Debezium's topic convention, which the publisher follows by default: outbox.event.<aggregate type>. */
    static final String TOPIC = "outbox.event." + EnrollmentEvent.AGGREGATE_TYPE;

    private static final Logger LOG = LoggerFactory.getLogger(KafkaEnrollmentCounts.class);

    /** What the consumer derived so far. */
    record Counts(Map<Long, Long> enrolledByCourse, long records, long duplicates, long outOfOrder) {}

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final Map<Long, Long> enrolledByCourse = new HashMap<>();
    private final Set<Long> seqs = new HashSet<>();
    private final Map<String, String> lastTypeOfEnrollment = new HashMap<>();
    private long duplicates;
    private long outOfOrder;
    private volatile boolean running = true;
    private volatile @Nullable Exception failure;

    KafkaEnrollmentCounts(String bootstrapServers) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrapServers);
        settings.put("isolation.level", "read_committed");
        settings.put("enable.auto.commit", false);
        settings.put("key.deserializer", ByteArrayDeserializer.class.getName());
        settings.put("value.deserializer", ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(settings);
        this.thread = new Thread(this::consume, "kafka-enrollment-counts");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void consume() {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            while (running && partitions.isEmpty()) { // the topic is created by the first record
                for (PartitionInfo info : consumer.partitionsFor(TOPIC, Duration.ofSeconds(5))) {
                    partitions.add(new TopicPartition(TOPIC, info.partition()));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record);
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // closing
        } catch (Exception e) {
            failure = e;
            LOG.error("the Kafka consumer of {} failed", TOPIC, e);
        }
    }

    private synchronized void apply(ConsumerRecord<byte[], byte[]> record) {
        long seq = Long.parseLong(header(record, "outbox-seq"));
        if (!seqs.add(seq)) {
            duplicates++;
            return;
        }
        EnrollmentEvent event = EnrollmentEvent.from(
                header(record, "outbox-event-type"), new String(record.value(), StandardCharsets.UTF_8));
        String previous = lastTypeOfEnrollment.put(event.enrollmentKey(), event.type());
        if (event.type().equals(previous == null ? EnrollmentEvent.CANCELLED : previous)) {
            outOfOrder++;
        }
        enrolledByCourse.merge(event.courseId(), event.isEnrollment() ? 1L : -1L, Long::sum);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        if (header == null) {
            throw new IllegalStateException("record " + record.topic() + "-" + record.partition() + "@"
                    + record.offset() + " has no header " + name);
        }
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    synchronized Counts counts() {
        return new Counts(Map.copyOf(enrolledByCourse), seqs.size() + duplicates, duplicates, outOfOrder);
    }

    /** Whether it has read {@code records} distinct seqs. */
    synchronized boolean hasRead(long records) {
        return seqs.size() >= records;
    }

    /** What made its thread stop, or {@code null}. */
    @Nullable
    Exception failure() {
        return failure;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
        consumer.close(Duration.ofSeconds(5));
    }
}
