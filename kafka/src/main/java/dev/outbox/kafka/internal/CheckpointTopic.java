package dev.outbox.kafka.internal;

import dev.outbox.DownstreamUnavailableException;
import dev.outbox.KeyPartitioner;
import dev.outbox.Lease;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compacted topic where exactly-once publishing keeps each consumer partition's position: in the
 * Kafka transaction of every batch, a record keyed by the partition's {@code transactional.id} with
 * the last seq published and the consumer's reset generation. Kafka commits it with the batch's
 * records or neither, so it always says exactly what Kafka holds. Created when first needed (one
 * partition, compacted, the broker's replication factor) unless it exists. Thread-safe.
 */
final class CheckpointTopic {

    /** A position read back: Kafka holds the partition's entries up to {@code seq}. */
    record Position(long seq, long generation) {}

    private static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+)");
    private static final Pattern GENERATION = Pattern.compile("\"generation\":(\\d+)");
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointTopic.class);

    private final String topic;
    private final SharedAdmin admin;
    private final ProducerSettings settings;
    /** How long reading to the end may wait for transactions open on the topic to end. */
    private final Duration readTimeout;

    private volatile int partitions;

    CheckpointTopic(String topic, SharedAdmin admin, ProducerSettings settings, Duration readTimeout) {
        this.topic = topic;
        this.admin = admin;
        this.settings = settings;
        this.readTimeout = readTimeout;
    }

    String name() {
        return topic;
    }

    /** The record that says Kafka holds {@code lease}'s entries up to {@code seq}. */
    ProducerRecord<byte[], byte[]> record(String key, Lease lease, long seq) {
        String value = "{\"seq\":" + seq + ",\"generation\":" + lease.resetGeneration() + ",\"consumer\":\""
                + lease.consumer() + "\",\"partition\":" + lease.partition() + "}";
        return new ProducerRecord<>(
                topic, partitionOf(key), key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The last position committed under {@code key}, or {@code null} if none. Reads the key's
     * partition of the topic with {@code read_committed} up to the end it had when the read began,
     * so that a position committed before (by a producer fenced just now, say) is never missed
     * behind a transaction still open on the topic: the read waits for it to end.
     *
     * @throws DownstreamUnavailableException if the broker cannot be read
     */
    @Nullable
    Position read(String key, Lease lease) {
        TopicPartition partition = new TopicPartition(topic, partitionOf(key));
        long began = System.nanoTime();
        long end = endOffset(partition);
        byte[] wanted = key.getBytes(StandardCharsets.UTF_8);
        Position last = null;
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(settings.committedReader("checkpoints"))) {
            reader.assign(List.of(partition));
            reader.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + readTimeout.toNanos();
            long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (reader.position(partition) < end) {
                if (System.nanoTime() - nextReport > 0) {
                    LOG.warn(
                            "reading the position of {} from {}: at offset {} of {}; what holds it back: {}",
                            key,
                            partition,
                            reader.position(partition),
                            end,
                            openTransactions(partition, key, lease, last));
                    nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new DownstreamUnavailableException(
                            "could not read checkpoint topic '" + topic + "' to offset "
                                    + end + " within " + readTimeout + "; what holds it back: "
                                    + openTransactions(partition, key, lease, last));
                }
                for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
                    if (record.key() != null && Arrays.equals(record.key(), wanted) && record.value() != null) {
                        last = parse(new String(record.value(), StandardCharsets.UTF_8));
                    }
                }
            }
        } catch (KafkaException e) {
            throw new DownstreamUnavailableException("could not read checkpoint topic '" + topic + "': " + e, e);
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        if (took > 1_000) {
            LOG.info(
                    "read the position of {} from {} (to offset {}) in {} ms: transactions open on it held the read"
                            + " back",
                    key,
                    partition,
                    end,
                    took);
        }
        return last;
    }

    private static Position parse(String value) {
        Matcher seq = SEQ.matcher(value);
        Matcher generation = GENERATION.matcher(value);
        if (!seq.find() || !generation.find()) {
            throw new DownstreamUnavailableException("checkpoint record is not the publisher's: " + value);
        }
        return new Position(Long.parseLong(seq.group(1)), Long.parseLong(generation.group(1)));
    }

    /**
     * The producers with a transaction open on {@code partition}, for a log line. One whose
     * coordinator counts its transaction ended is a hanging transaction, said so with what to do:
     * the partition never got the transaction's marker (Kafka skips the markers of a partition
     * without a leader, as if it had been deleted: a lone broker that stopped or crashed in the
     * middle of a commit), and no reader passes it until it is aborted. {@code readSoFar} is the last
     * position of {@code key} ({@code lease}'s) read before it.
     */
    private String openTransactions(TopicPartition partition, String key, Lease lease, @Nullable Position readSoFar) {
        List<String> open = new ArrayList<>();
        try {
            for (ProducerState producer : call(admin.get()
                            .describeProducers(List.of(partition))
                            .partitionResult(partition))
                    .activeProducers()) {
                OptionalLong start = producer.currentTransactionStartOffset();
                if (start.isEmpty()) {
                    continue;
                }
                String described = "producer " + producer.producerId() + " epoch " + producer.producerEpoch()
                        + " since offset " + start.getAsLong();
                String transactionalId = transactionalIdOf(producer.producerId());
                TransactionDescription coordinator = transactionalId == null
                        ? null
                        : call(admin.get()
                                .describeTransactions(List.of(transactionalId))
                                .description(transactionalId));
                if (coordinator != null
                        && isHanging(producer, coordinator)
                        && stillOpen(partition, producer.producerId(), start.getAsLong())) {
                    described += " of transactional.id '" + transactionalId + "', HANGING: its coordinator counts it"
                            + " ended (" + coordinator.state() + ", epoch " + coordinator.producerEpoch() + ") but "
                            + partition + " never got its marker. Abort it there and on every partition it wrote"
                            + " (kafka-transactions.sh find-hanging, then abort --topic " + partition.topic()
                            + " --partition " + partition.partition() + " --start-offset " + start.getAsLong()
                            + "), then publish its entries again: "
                            + (transactionalId.equals(key) && readSoFar != null
                                    ? resetCall(lease, readSoFar.seq() + 1) + " (Kafka holds the entries up to seq "
                                            + readSoFar.seq() + " before it)"
                                    : "reset its consumer partition from the first outbox-seq of its records")
                            + "; see the README, Publishing to Kafka";
                }
                open.add(described);
            }
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            open.add("(could not ask the broker: " + e + ")");
        }
        return open.toString();
    }

    private static String resetCall(Lease lease, long fromSeq) {
        return lease.isSplit()
                ? "resetPartition(\"" + lease.consumer() + "\", " + lease.partition() + ", " + fromSeq + ")"
                : "resetConsumer(\"" + lease.consumer() + "\", " + fromSeq + ")";
    }

    /**
     * Whether a transaction that {@code producer} holds open on a partition is one its coordinator
     * has moved past: ended there, or the producer fenced by a later epoch. Not while the
     * coordinator is writing the markers (a prepared commit or abort): they may be on their way.
     */
    static boolean isHanging(ProducerState producer, TransactionDescription coordinator) {
        TransactionState state = coordinator.state();
        if (state == TransactionState.PREPARE_COMMIT
                || state == TransactionState.PREPARE_ABORT
                || state == TransactionState.PREPARE_EPOCH_FENCE
                || state == TransactionState.UNKNOWN) {
            return false;
        }
        return coordinator.producerId() != producer.producerId()
                || coordinator.producerEpoch() > producer.producerEpoch()
                || state != TransactionState.ONGOING;
    }

    /** Whether the transaction is still open: it might have ended between the two questions above. */
    private boolean stillOpen(TopicPartition partition, long producerId, long start)
            throws ExecutionException, TimeoutException {
        return call(admin.get().describeProducers(List.of(partition)).partitionResult(partition))
                .activeProducers()
                .stream()
                .anyMatch(producer -> producer.producerId() == producerId
                        && producer.currentTransactionStartOffset().equals(OptionalLong.of(start)));
    }

    private @Nullable String transactionalIdOf(long producerId) throws ExecutionException, TimeoutException {
        return call(admin.get()
                        .listTransactions(new ListTransactionsOptions().filterProducerIds(List.of(producerId)))
                        .all())
                .stream()
                .map(TransactionListing::transactionalId)
                .findFirst()
                .orElse(null);
    }

    /** The end of {@code partition}, transactions still open included. */
    private long endOffset(TopicPartition partition) {
        try {
            return call(admin.get()
                            .listOffsets(
                                    Map.of(partition, OffsetSpec.latest()),
                                    new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                            .partitionResult(partition))
                    .offset();
        } catch (ExecutionException | TimeoutException e) {
            throw unavailable("could not read the end of checkpoint topic '" + topic + "'", e);
        }
    }

    private int partitionOf(String key) {
        if (partitions == 0) {
            partitions = ensureExists();
        }
        return KeyPartitioner.partitionOf(key, partitions);
    }

    /** Creates the topic unless it exists; returns its number of partitions. */
    private synchronized int ensureExists() {
        if (partitions > 0) {
            return partitions;
        }
        Admin client = admin.get();
        for (int attempt = 0; ; attempt++) {
            try {
                return call(client.describeTopics(List.of(topic)).allTopicNames())
                        .get(topic)
                        .partitions()
                        .size();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || attempt > 0) {
                    throw unavailable("could not describe checkpoint topic '" + topic + "'", e);
                }
            } catch (TimeoutException e) {
                throw unavailable("could not describe checkpoint topic '" + topic + "'", e);
            }
            NewTopic created =
                    new NewTopic(topic, Optional.of(1), Optional.empty()).configs(Map.of("cleanup.policy", "compact"));
            try {
                call(client.createTopics(List.of(created)).all());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw unavailable("could not create checkpoint topic '" + topic + "'", e);
                }
            } catch (TimeoutException e) {
                throw unavailable("could not create checkpoint topic '" + topic + "'", e);
            }
        }
    }

    private static <T> T call(KafkaFuture<T> future) throws ExecutionException, TimeoutException {
        try {
            return future.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownstreamUnavailableException("interrupted while calling the broker", e);
        }
    }

    private static DownstreamUnavailableException unavailable(String what, Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return new DownstreamUnavailableException(what + ": " + cause, cause);
    }
}
