package dev.outbox.kafka.internal;

import dev.outbox.Lease;
import dev.outbox.OutboxRecord;
import dev.outbox.kafka.UnpublishableRecordException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The check of a batch before anything of it is sent: each entry mapped to its record and its size
 * bounded against the producer's {@code max.request.size} and its topic's {@code max.message.bytes},
 * up to the first entry that cannot be published. A batch is then sent only up to that entry, so no
 * record of it fails for a reason known beforehand while later ones succeed (the 2, 3, 1 order of a
 * retried batch). Thread-safe.
 */
final class Preflight {

    private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);

    /**
     * The records of the batch's first {@code ready.size()} entries; {@code rejected}: why the next
     * entry cannot be published, or {@code null} when every entry can.
     */
    record Checked(
            List<ProducerRecord<byte[], byte[]>> ready,
            @Nullable UnpublishableRecordException rejected) {

        boolean complete() {
            return rejected == null;
        }
    }

    private final RecordMapper mapper;
    private final int maxRequestSize;
    private final TopicLimits limits;
    private final Set<String> warnedTopics = ConcurrentHashMap.newKeySet();

    Preflight(RecordMapper mapper, int maxRequestSize, TopicLimits limits) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.maxRequestSize = maxRequestSize;
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /**
     * Checks {@code batch} in order, up to its first entry that cannot be published.
     *
     * @throws dev.outbox.DownstreamUnavailableException if a topic's limit cannot be read
     */
    Checked check(List<OutboxRecord> batch, Lease lease) {
        List<ProducerRecord<byte[], byte[]>> ready = new ArrayList<>(batch.size());
        for (OutboxRecord entry : batch) {
            RecordMapper.Mapped mapped = mapper.map(entry);
            if (mapped instanceof RecordMapper.Rejected rejected) {
                return new Checked(ready, rejected.reason());
            }
            RecordMapper.Ready record = (RecordMapper.Ready) mapped;
            String topic = record.record().topic();
            TopicLimits.Topic limit = limits.of(topic);
            warnIfPartitionsDiffer(topic, limit, lease);
            if (record.sizeUpperBound() > maxRequestSize || record.sizeUpperBound() > limit.maxMessageBytes()) {
                return new Checked(
                        ready,
                        new UnpublishableRecordException("seq " + entry.seq() + " (key '" + entry.aggregateId()
                                + "', type '" + entry.eventType() + "') cannot be published: its record takes up to "
                                + record.sizeUpperBound() + " bytes, over the producer's max.request.size ("
                                + maxRequestSize + ") or topic '" + topic + "''s max.message.bytes ("
                                + limit.maxMessageBytes() + ")"));
            }
            ready.add(record.record());
        }
        return new Checked(ready, null);
    }

    /** Partition k of a split consumer maps to partition k of a topic only if their counts agree. */
    private void warnIfPartitionsDiffer(String topic, TopicLimits.Topic limit, Lease lease) {
        if (lease.isSplit()
                && limit.partitions() > 0
                && limit.partitions() != lease.partitions()
                && warnedTopics.add(topic)) {
            LOG.warn(
                    "consumer '{}' has {} partitions but topic '{}' has {}: each key still keeps its order (it"
                            + " lives in one partition of each), but outbox partition k does not map to Kafka"
                            + " partition k; give the topic {} partitions for that",
                    lease.consumer(),
                    lease.partitions(),
                    topic,
                    limit.partitions(),
                    lease.partitions());
        }
    }
}
