package dev.outbox.internal;

import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxRecord;

/**
 * One partition of a consumer: the unit that has a checkpoint row, a lease, an epoch, a failure
 * state and dead letters. A consumer that is not split has one, number 0 of 1. Immutable.
 *
 * @param consumer the consumer's name
 * @param number this partition, 0 to {@code count - 1}
 * @param count the consumer's partitions
 */
record Partition(String consumer, int number, int count) {

    boolean isSplit() {
        return count > 1;
    }

    /** Whether {@code record}'s key belongs to this partition. */
    boolean holds(OutboxRecord record) {
        return !isSplit() || KeyPartitioner.partitionOf(record.aggregateId(), count) == number;
    }

    /** For logs and messages: {@code consumer 'x'} or {@code consumer 'x' partition 3 of 8}. */
    String label() {
        return isSplit()
                ? "consumer '" + consumer + "' partition " + number + " of " + count
                : "consumer '" + consumer + "'";
    }

    @Override
    public String toString() {
        return label();
    }
}
