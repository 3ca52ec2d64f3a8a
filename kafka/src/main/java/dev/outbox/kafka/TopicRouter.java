package dev.outbox.kafka;

import dev.outbox.OutboxRecord;
import java.util.Objects;

/**
 * Which Kafka topic a log entry is published to. Called on a consumer's thread for every entry;
 * implementations are thread-safe (a split consumer's partitions call one router side by side) and
 * fast. An answer that is null, blank or not a valid topic name (1 to 249 characters of {@code
 * [a-zA-Z0-9._-]}, not {@code .} or {@code ..}) makes the entry unpublishable: it goes to the
 * consumer's failure policy with an error naming its seq, like any failed event, and nothing after
 * it is sent in that batch.
 */
@FunctionalInterface
public interface TopicRouter {

    /** The topic of {@code record}. */
    String topic(OutboxRecord record);

    /**
     * Debezium's outbox convention: {@code outbox.event.<aggregateType>}; entries without an aggregate
     * type go to {@code outbox.event}.
     */
    static TopicRouter byAggregateType() {
        return byAggregateType("outbox.event");
    }

    /**
     * {@code <prefix>.<aggregateType>}; entries without an aggregate type go to {@code prefix}.
     *
     * @param prefix the topic of entries without an aggregate type, and the prefix of the others
     */
    static TopicRouter byAggregateType(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return record -> record.aggregateType() == null ? prefix : prefix + "." + record.aggregateType();
    }

    /** Every entry to {@code topic}. */
    static TopicRouter fixed(String topic) {
        Objects.requireNonNull(topic, "topic");
        return record -> topic;
    }
}
