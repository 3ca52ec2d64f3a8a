package dev.outbox;

import java.util.Objects;

/**
 * A relay's hold on a consumer, or on one partition of a split consumer, as a {@link SessionHandler}
 * sees it when the relay {@link SessionHandler#open opens} a session for it. Immutable.
 *
 * <p>While a relay holds the lease, it alone delivers the consumer's (partition's) entries. It may
 * lose the lease without knowing at once (a pause longer than {@link RelayOptions#leaseDuration()}):
 * another relay then holds it under a higher {@code epoch}, and the first relay's checkpoint writes
 * are refused. A handler that needs fencing in its own downstream (a Kafka transactional producer,
 * say) gets it there, with an identity stable across leases ({@link #consumer()}, {@link
 * #partition()}).
 *
 * @param tables the outbox tables the consumer reads
 * @param consumer the consumer's name
 * @param partition the partition the lease is on, from 0 to {@code partitions - 1} (0 for a
 *     consumer that is not split)
 * @param partitions how many partitions the consumer is split into (1: not split)
 * @param relayId the relay that holds the lease
 * @param epoch the lease's epoch: grows with every takeover and every reset of the consumer
 * @param checkpoint the checkpoint when the relay took the lease: delivery starts after it
 * @param resetGeneration how many times the consumer (this partition) was reset with {@link
 *     OutboxRelay#resetConsumer} or {@link OutboxRelay#resetPartition} since its row was created;
 *     only resets change it, so a handler that keeps its own position downstream can tell a
 *     replay asked for (the generation grew) from a checkpoint that lags its downstream after a
 *     crash (the same generation)
 */
public record Lease(
        OutboxTables tables,
        String consumer,
        int partition,
        int partitions,
        String relayId,
        long epoch,
        long checkpoint,
        long resetGeneration) {

    public Lease {
        Objects.requireNonNull(tables, "tables");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(relayId, "relayId");
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("partition must be in [0, " + partitions + "), was " + partition);
        }
    }

    /** Whether the consumer is split into partitions. */
    public boolean isSplit() {
        return partitions > 1;
    }

    @Override
    public String toString() {
        return "consumer '" + consumer + "'" + (isSplit() ? " partition " + partition + " of " + partitions : "")
                + " (epoch " + epoch + ", checkpoint " + checkpoint + ", reset generation " + resetGeneration
                + ", relay " + relayId + ")";
    }
}
