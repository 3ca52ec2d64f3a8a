package dev.outbox.kafka.connect;

import dev.outbox.ConsumerStatus;
import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxException;
import dev.outbox.OutboxLog;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxTables;
import dev.outbox.PartitionStatus;
import dev.outbox.kafka.RecordMapping;
import dev.outbox.kafka.UnpublishableRecordException;
import dev.outbox.kafka.ValueSerializer;
import dev.outbox.kafka.connect.internal.DeliveryTracker;
import dev.outbox.kafka.connect.internal.OutboxDatabase;
import dev.outbox.kafka.connect.internal.StartPositions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task of {@link OutboxSourceConnector}: serves some partitions of the connector's consumer. Each
 * {@link #poll()} reads one batch of the log from where the task is (one statement, no lock held),
 * and returns a source record for each entry of its partitions: the topic, key, value and headers
 * of {@link RecordMapping}, the same as the {@code KafkaPublisher}'s; source partition {@code
 * {"tables", "consumer", "partition"}}, source offset {@code {"seq"}}. With {@code
 * transaction.boundary=poll} (the default) a batch is one Kafka transaction, committed with its
 * offsets.
 *
 * <p>It resumes from Connect's offsets (exact: committed with the records), not from the database.
 * Before its first read it writes its position to its partitions' consumer rows, creating them if
 * need be, so that log retention keeps every entry it has not delivered; after Connect's commits
 * it copies the position forward again (at most once a second), for retention, status and the
 * command-line tool. The log is gap-free: a batch that does not continue where the last one ended
 * fails the task rather than skip anything; a read that fails (the database unreachable) is retried
 * with a growing wait, the task's position unchanged. With {@code outbox.sequencer.enabled} it also runs a
 * relay that sequences while it holds the sequencer lock.
 *
 * <p>Connect calls {@link #poll()} and {@link #commit()} on the task's thread, {@link
 * #commitRecord} on the producer's, {@link #stop()} on another: the shared state is in thread-safe
 * objects or volatile.
 */
public class OutboxSourceTask extends SourceTask {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxSourceTask.class);

    private static final long COPY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long one poll keeps reading batches that hold no entry of the task's partitions. */
    private static final long POLL_BUDGET_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Object wakeUp = new Object();

    private OutboxSourceConfig config;
    private OutboxDatabase database;
    private OutboxLog log;
    private RecordMapping mapping;
    private DeliveryTracker tracker;
    private String consumer;
    private String tablesName;
    private int partitionCount;
    private int[] partitions;
    /** By partition number: the last seq delivered of the partition, for the partitions served; else -1. */
    private long[] positions;

    private Map<Integer, Map<String, Object>> sourcePartitions;
    private long readFrom;
    private long copied;
    private long lastCopyNanos;
    private volatile boolean stopping;
    /** Reads of the log that failed in a row. */
    private int failedReads;

    public OutboxSourceTask() {}

    @Override
    public String version() {
        return OutboxSourceConnector.VERSION;
    }

    @Override
    public void start(Map<String, String> properties) {
        config = new OutboxSourceConfig(properties);
        consumer = config.consumer();
        partitionCount = config.partitions();
        partitions = Arrays.stream(properties
                        .getOrDefault(OutboxSourceConfig.TASK_PARTITIONS_CONFIG, "")
                        .split(","))
                .filter(text -> !text.isBlank())
                .mapToInt(text -> Integer.parseInt(text.trim()))
                .toArray();
        if (partitions.length == 0) {
            throw new ConnectException("task of consumer '" + consumer + "' was given no partitions");
        }
        OutboxTables tables = config.tables();
        tablesName = tablesName(tables);
        mapping = RecordMapping.of(config.topicRouter(), ValueSerializer.payloadUtf8());
        String what = consumer + "-task-" + joined(partitions);
        database = OutboxDatabase.open(
                config.jdbcUrl(),
                config.user(),
                config.password() == null ? null : config.password().value(),
                tables,
                consumer,
                partitionCount,
                what,
                config.runsSequencer() ? 3 : 2,
                30_000);
        try {
            database.declaring().checkSchema();
            log = database.declaring().log();
            sourcePartitions = new HashMap<>();
            for (int partition : partitions) {
                sourcePartitions.put(partition, sourcePartition(tablesName, consumer, partition));
            }
            startPositions();
            if (config.runsSequencer()) {
                database.startSequencer(tables, what);
            }
        } catch (RuntimeException | Error e) {
            database.close();
            throw e;
        }
    }

    /**
     * Reads Connect's offsets and the consumer rows, decides each partition's position, and writes
     * it to the rows before anything is read: retention then keeps what the task has to deliver.
     */
    private void startPositions() {
        Map<Map<String, Object>, Map<String, Object>> offsets =
                context.offsetStorageReader().offsets(List.copyOf(sourcePartitions.values()));
        ConsumerStatus status = database.declaring().status(consumer);
        if (!status.partitions().isEmpty() && status.partitions().size() != partitionCount) {
            throw new ConnectException(
                    "consumer '" + consumer + "' has " + status.partitions().size()
                            + " partition(s) in the database, but " + OutboxSourceConfig.PARTITIONS_CONFIG + " is "
                            + partitionCount + ": a key's entries would move to another partition. Use a new consumer"
                            + " name for another partition count");
        }
        Map<Integer, Long> rows = new HashMap<>();
        for (PartitionStatus partition : status.partitions()) {
            rows.put(partition.partition(), partition.checkpoint());
        }
        long lowestRetained = log.lowestRetained();
        positions = new long[partitionCount];
        Arrays.fill(positions, -1);
        long lowest = Long.MAX_VALUE;
        for (int partition : partitions) {
            Long connectOffset = StartPositions.seqOf(offsets.get(sourcePartitions.get(partition)));
            long position;
            try {
                position = StartPositions.of(consumer, partition, connectOffset, rows.get(partition), lowestRetained);
            } catch (IllegalStateException e) {
                throw new ConnectException(e.getMessage(), e);
            }
            positions[partition] = position;
            lowest = Math.min(lowest, position);
            // the row never claims less than what exists: entries below lowestRetained are gone
            long row = Math.max(position, lowestRetained - 1);
            if (!rows.containsKey(partition) || rows.get(partition) != row) {
                database.declaring().resetPartition(consumer, partition, row + 1);
            }
            LOG.info(
                    "consumer '{}' partition {}: starts after seq {} (Connect's offset: {}, database row: {})",
                    consumer,
                    partition,
                    position,
                    connectOffset,
                    rows.get(partition));
        }
        long start = Math.max(lowest, lowestRetained - 1);
        readFrom = start + 1;
        copied = start;
        tracker = new DeliveryTracker(start);
        lastCopyNanos = System.nanoTime();
    }

    @Override
    public @Nullable List<SourceRecord> poll() throws InterruptedException {
        try {
            return readBatch();
        } catch (RuntimeException e) {
            if (stopping) {
                return null; // stop() closed the pool under this read: nothing was returned, nothing is lost
            }
            throw e;
        }
    }

    private @Nullable List<SourceRecord> readBatch() throws InterruptedException {
        long budgetEnd = System.nanoTime() + POLL_BUDGET_NANOS;
        while (!stopping) {
            List<OutboxRecord> entries;
            try {
                entries = log.read(readFrom, config.batchSize());
            } catch (OutboxException e) {
                return databaseUnavailable(e);
            }
            if (failedReads > 0) {
                LOG.info("consumer '{}': the log can be read again, after {} failed read(s)", consumer, failedReads);
                failedReads = 0;
            }
            if (entries.isEmpty()) {
                synchronized (wakeUp) {
                    if (!stopping) {
                        wakeUp.wait(config.pollIntervalMillis());
                    }
                }
                return null;
            }
            long expected = readFrom;
            List<SourceRecord> records = new ArrayList<>();
            List<Long> seqs = new ArrayList<>();
            for (OutboxRecord entry : entries) {
                if (entry.seq() != expected) {
                    // the log has no gaps, and retention never passes this consumer's rows
                    throw new ConnectException("consumer '" + consumer + "': the log read from seq " + readFrom
                            + " holds seq " + entry.seq() + " where seq " + expected + " should be: entries are"
                            + " missing (removed by retention? its rows deleted or reset?); nothing after seq "
                            + (expected - 1) + " was delivered");
                }
                expected++;
                int partition = KeyPartitioner.partitionOf(entry.aggregateId(), partitionCount);
                if (positions[partition] < 0 || entry.seq() <= positions[partition]) {
                    continue; // another task's partition, or delivered before (a partition ahead of the others)
                }
                records.add(sourceRecord(entry, partition));
                seqs.add(entry.seq());
                positions[partition] = entry.seq();
            }
            long end = entries.get(entries.size() - 1).seq();
            tracker.polled(end, seqs);
            readFrom = end + 1;
            if (!records.isEmpty()) {
                return records;
            }
            if (entries.size() < config.batchSize() || System.nanoTime() - budgetEnd > 0) {
                return null;
            }
        }
        return null;
    }

    /**
     * A read of the log failed (the database is down or unreachable): nothing was returned, so
     * nothing moved. Waits (up to 5 s, growing) and returns nothing, so that Connect polls again;
     * logs once when it starts failing, instead of failing the task for good.
     */
    private @Nullable List<SourceRecord> databaseUnavailable(OutboxException e) throws InterruptedException {
        failedReads++;
        if (failedReads == 1) {
            LOG.warn(
                    "consumer '{}': cannot read the log from seq {}; retrying until it can be read",
                    consumer,
                    readFrom,
                    e);
        }
        long backoff = Math.min(5_000, config.pollIntervalMillis() * (1L << Math.min(failedReads, 10)));
        synchronized (wakeUp) {
            if (!stopping) {
                wakeUp.wait(backoff);
            }
        }
        return null;
    }

    private SourceRecord sourceRecord(OutboxRecord entry, int partition) {
        ProducerRecord<byte[], byte[]> record;
        try {
            record = mapping.toRecord(entry);
        } catch (UnpublishableRecordException e) {
            // a configuration problem (the router): the task fails and says which entry and why
            throw new ConnectException(
                    "consumer '" + consumer + "' partition " + partition + ": " + e.getMessage()
                            + ". Nothing from this entry on is delivered until the topic routing is fixed",
                    e);
        }
        ConnectHeaders headers = new ConnectHeaders();
        for (Header header : record.headers()) {
            // strings: Connect's default header converter writes a string as its UTF-8 bytes, the
            // bytes the publisher sends
            headers.addString(header.key(), new String(header.value(), StandardCharsets.UTF_8));
        }
        return new SourceRecord(
                sourcePartitions.get(partition),
                Map.of("seq", entry.seq()),
                record.topic(),
                null, // Kafka's keyed partitioner: outbox partition k is Kafka partition k of P
                Schema.BYTES_SCHEMA,
                record.key(),
                Schema.OPTIONAL_BYTES_SCHEMA,
                record.value(),
                null,
                headers);
    }

    @Override
    public void commitRecord(SourceRecord record, @Nullable RecordMetadata metadata) {
        // metadata is null for a record a transformation dropped: nothing to wait for either
        Long seq = StartPositions.seqOf(record.sourceOffset());
        if (seq != null) {
            tracker.acknowledged(seq);
        }
    }

    /**
     * Connect committed: in exactly-once mode, the transaction of every record returned so far (it
     * calls this on the task's thread between polls); else the offsets of the records acknowledged.
     * Copies the delivered position to the consumer rows, at most once a second.
     */
    @Override
    public void commit() {
        if (stopping || tracker == null) {
            return;
        }
        long delivered = tracker.delivered();
        if (delivered <= copied || System.nanoTime() - lastCopyNanos < COPY_INTERVAL_NANOS) {
            return;
        }
        try {
            for (int partition : partitions) {
                database.declaring().resetPartition(consumer, partition, delivered + 1);
            }
            copied = delivered;
            lastCopyNanos = System.nanoTime();
        } catch (RuntimeException e) {
            // a copy for retention and status: Connect's offsets are the position, so the task goes on
            LOG.warn(
                    "consumer '{}': could not copy the delivered position (seq {}) to its rows; retried at the next"
                            + " commit",
                    consumer,
                    delivered,
                    e);
        }
    }

    @Override
    public void stop() {
        stopping = true;
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        if (database != null) {
            database.close();
        }
    }

    /**
     * The source partition of {@code partition}. A {@link HashMap}, on purpose: Connect keys offsets
     * by the map's JSON bytes, so the keys must come in the same order in every JVM (a {@code Map.of}
     * iterates in an order that changes from one JVM to the next) and in the order Connect writes an
     * operator's altered offsets in (it parses them into a {@code HashMap}).
     */
    static Map<String, Object> sourcePartition(String tables, String consumer, int partition) {
        Map<String, Object> sourcePartition = new HashMap<>();
        sourcePartition.put("tables", tables);
        sourcePartition.put("consumer", consumer);
        sourcePartition.put("partition", partition);
        return Collections.unmodifiableMap(sourcePartition);
    }

    /** The keys of a source partition. */
    static final Set<String> SOURCE_PARTITION_KEYS = Set.of("tables", "consumer", "partition");

    /** {@code <schema>.<prefix>}, or the prefix alone for the connection's schema. */
    static String tablesName(OutboxTables tables) {
        return tables.schema() == null ? tables.prefix() : tables.schema() + "." + tables.prefix();
    }

    private static String joined(int[] numbers) {
        StringBuilder text = new StringBuilder();
        for (int number : numbers) {
            text.append(text.length() == 0 ? "" : ",").append(number);
        }
        return text.toString();
    }
}
