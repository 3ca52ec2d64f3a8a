package dev.outbox.internal;

import dev.outbox.OutboxConsumer;
import dev.outbox.StartPosition;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * One relay's hold on one consumer: the owner, epoch and lease_until of the consumer's row.
 *
 * <p>Every write on the row that matters (checkpoint, error state, release) names the epoch the
 * lease was taken with. Taking the lease over bumps the epoch, so a relay that paused past its lease
 * finds its writes rejected (no row matched) and knows it lost the consumer. Used by the consumer's
 * thread only.
 */
final class ConsumerLease {

    private final OutboxConsumer consumer;
    private final RelayContext context;
    private boolean held;
    private long epoch;
    private long checkpointAtTakeover;
    private long lastRenewalNanos;

    ConsumerLease(OutboxConsumer consumer, RelayContext context) {
        this.consumer = consumer;
        this.context = context;
    }

    boolean held() {
        return held;
    }

    long epoch() {
        return epoch;
    }

    /** The checkpoint the row held when the lease was taken. */
    long checkpointAtTakeover() {
        return checkpointAtTakeover;
    }

    /** Records that a write naming the epoch succeeded, which renewed the lease. */
    void renewed() {
        lastRenewalNanos = System.nanoTime();
    }

    void lost() {
        held = false;
    }

    boolean renewalDue() {
        return System.nanoTime() - lastRenewalNanos
                > context.options.leaseDuration().toNanos() / 3;
    }

    /**
     * Takes the lease if nobody holds a live one. Skips a row locked by the owner's running
     * transactional batch: that owner is alive. Creates the consumer's row first if it has none
     * (normally done when the relay starts).
     *
     * <p>The row is created only after a plain read found it missing, never on every attempt: on
     * InnoDB an {@code INSERT IGNORE} of an existing key takes a shared lock on the row for the rest
     * of the transaction, and the {@code FOR UPDATE} after it then deadlocks with the owner's
     * checkpoint update, which makes the owner deliver its batch again.
     */
    boolean tryTakeOver() throws SQLException {
        long[] taken = takeOverIfFree();
        if (taken == null && !rowExists()) {
            createRowIfMissing();
            taken = takeOverIfFree();
        }
        if (taken == null) {
            return false;
        }
        epoch = taken[0];
        checkpointAtTakeover = taken[1];
        held = true;
        renewed();
        return true;
    }

    /** The new epoch and the saved checkpoint, or {@code null} if the lease is not free. */
    private long @Nullable [] takeOverIfFree() throws SQLException {
        return context.inTransaction(connection -> {
            long newEpoch;
            long savedCheckpoint;
            try (NamedSql.Bound lock = context.sql.lockConsumerForTakeover.prepare(connection)) {
                lock.set("name", consumer.name());
                try (ResultSet rs = lock.statement().executeQuery()) {
                    if (!rs.next()) {
                        return null; // locked by the owner's running batch, or no row yet
                    }
                    String owner = rs.getString(1);
                    boolean expired = rs.getInt(3) == 1;
                    if (owner != null && !expired && !owner.equals(context.options.relayId())) {
                        return null;
                    }
                    newEpoch = rs.getLong(2) + 1;
                    savedCheckpoint = rs.getLong(4);
                }
            }
            try (NamedSql.Bound takeOver = context.sql.takeOverConsumer.prepare(connection)) {
                takeOver.set("owner", context.options.relayId())
                        .set("epoch", newEpoch)
                        .set("lease_ms", context.leaseMillis())
                        .set("name", consumer.name())
                        .statement()
                        .executeUpdate();
            }
            return new long[] {newEpoch, savedCheckpoint};
        });
    }

    private boolean rowExists() throws SQLException {
        return context.withConnection(connection -> {
            try (NamedSql.Bound select = context.sql.consumerExists.prepare(connection)) {
                select.set("name", consumer.name());
                try (ResultSet rs = select.statement().executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Creates the consumer's checkpoint row (at the head or the beginning) if it has none. */
    void createRowIfMissing() throws SQLException {
        context.withConnection(connection -> {
            createRowIfMissing(connection);
            return null;
        });
    }

    private void createRowIfMissing(Connection connection) throws SQLException {
        boolean atHead = consumer.startFrom() == StartPosition.HEAD;
        NamedSql insert = atHead ? context.sql.insertConsumerAtHead : context.sql.insertConsumerAtBeginning;
        try (NamedSql.Bound create = insert.prepare(connection)) {
            create.set("name", consumer.name());
            if (atHead) {
                create.set("sequencer", OutboxSql.SEQUENCER_NAME);
            }
            create.statement().executeUpdate();
        }
    }

    /** Extends the lease; {@code false} if it was taken over or reset meanwhile. */
    boolean renew() throws SQLException {
        boolean renewed = context.withConnection(connection -> {
            try (NamedSql.Bound renew = context.sql.renewConsumer.prepare(connection)) {
                return renew.set("lease_ms", context.leaseMillis())
                                .set("name", consumer.name())
                                .set("epoch", epoch)
                                .statement()
                                .executeUpdate()
                        == 1;
            }
        });
        if (renewed) {
            renewed();
        } else {
            held = false;
        }
        return renewed;
    }

    /**
     * Locks the consumer's row for the rest of the transaction and returns its checkpoint, or -1 if
     * the lease was taken over or reset meanwhile.
     */
    long lockRow(Connection connection) throws SQLException {
        try (NamedSql.Bound lock = context.sql.lockConsumer.prepare(connection)) {
            lock.set("name", consumer.name());
            try (ResultSet rs = lock.statement().executeQuery()) {
                if (!rs.next() || rs.getLong(2) != epoch) {
                    return -1;
                }
                return rs.getLong(1);
            }
        }
    }

    /** Saves the checkpoint (and renews the lease); {@code false} if the lease was lost. */
    boolean saveCheckpoint(Connection connection, long seq) throws SQLException {
        try (NamedSql.Bound save = context.sql.saveCheckpoint.prepare(connection)) {
            boolean saved = save.set("checkpoint", seq)
                            .set("lease_ms", context.leaseMillis())
                            .set("name", consumer.name())
                            .set("epoch", epoch)
                            .statement()
                            .executeUpdate()
                    == 1;
            if (saved) {
                renewed();
            }
            return saved;
        }
    }

    /** Gives the lease up so that another relay can take over at once. */
    void release() throws SQLException {
        if (!held) {
            return;
        }
        held = false;
        context.withConnection(connection -> {
            try (NamedSql.Bound release = context.sql.releaseConsumer.prepare(connection)) {
                return release.set("name", consumer.name())
                        .set("epoch", epoch)
                        .statement()
                        .executeUpdate();
            }
        });
    }
}
