package dev.outbox.internal;

import dev.outbox.Lease;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One relay's hold on one consumer: the owner, epoch and lease_until of the consumer's row, and the
 * writes on that row that must name the epoch (checkpoint, failure state, release).
 *
 * <p>Taking the lease over bumps the epoch, so a relay that paused past its lease finds its writes
 * rejected (no row matched) and knows it lost the consumer: every such write throws {@link
 * LeaseLostException}. A relay never takes over a live lease recorded under its own relayId that
 * this instance does not hold: that is either its own earlier life, which crashed (the lease
 * expires soon), or another relay running with the same id, which is reported.
 *
 * <p>Used by the consumer's thread, except {@link #renewWhileHandling()}, which the {@link
 * LeaseKeeper}'s thread calls while an at-least-once handler runs, and {@link #renewableInBulk()},
 * {@link #mayHaveExpired()} and {@link #renewedInBulk}, which the {@link PartitionBalancer}'s
 * thread calls around its renewal of every lease.
 */
final class ConsumerLease {

    /** What the consumer's row held when this relay took the lease. */
    record Takeover(long epoch, long checkpoint, @Nullable Long blockedSeq, boolean hasFailure, long resetGeneration) {}

    private final OutboxConsumer consumer;
    private final Partition part;
    private final RelayContext context;
    private final OwnIdWatch ownId;
    private volatile boolean held;
    private volatile @Nullable Takeover taken;
    private volatile long epoch;
    private volatile long lastRenewalNanos;
    private volatile boolean fenced;
    /** Whether a transaction of this relay holds the row's lock while a handler runs. */
    private volatile boolean lockedByBatch;

    ConsumerLease(OutboxConsumer consumer, Partition part, RelayContext context, RelayProblems problems) {
        this.consumer = consumer;
        this.part = part;
        this.context = context;
        this.ownId = new OwnIdWatch(part.label(), context.options.relayId(), problems);
    }

    Partition partition() {
        return part;
    }

    boolean held() {
        return held;
    }

    long epoch() {
        return epoch;
    }

    void lost() {
        held = false;
    }

    /** The lease this relay took last, as a {@link dev.outbox.SessionHandler} is told of it. */
    Lease describe() {
        Takeover last = Objects.requireNonNull(taken, "the lease was never taken");
        return new Lease(
                context.sql.tables(),
                part.consumer(),
                part.number(),
                part.count(),
                context.options.relayId(),
                last.epoch(),
                last.checkpoint(),
                last.resetGeneration());
    }

    /**
     * Whether the loop renews the lease before its next step: after a third of the lease; a split
     * consumer's partition after half of it, since the {@link PartitionBalancer} renews every lease
     * of the relay in one statement every third of it, and the partition's own renewal is the
     * fallback when that fails. Either way no batch starts later than that after a renewal that
     * succeeded, well before the lease expires.
     */
    boolean renewalDue() {
        long lease = context.options.leaseDuration().toNanos();
        return System.nanoTime() - lastRenewalNanos > (part.isSplit() ? lease / 2 : lease / 3);
    }

    /**
     * Takes the lease if nobody holds a live one, and returns what the row held; {@code null} if it
     * is not free. Skips a row locked by the owner's running transactional batch: that owner is
     * alive. Creates the consumer's row first if it has none (normally done when the relay starts).
     *
     * <p>The row is created only after a plain read found it missing, never on every attempt: on
     * InnoDB an {@code INSERT IGNORE} of an existing key takes a shared lock on the row for the rest
     * of the transaction, and the {@code FOR UPDATE} after it then deadlocks with the owner's
     * checkpoint update, which makes the owner deliver its batch again.
     */
    @Nullable
    Takeover tryTakeOver() throws SQLException {
        long sent = System.nanoTime();
        Takeover taken = takeOverIfFree();
        if (taken == null && !rowExists()) {
            createRowIfMissing();
            taken = takeOverIfFree();
        }
        if (taken == null) {
            return null;
        }
        ownId.taken();
        this.taken = taken;
        epoch = taken.epoch();
        fenced = false;
        held = true;
        lastRenewalNanos = sent;
        return taken;
    }

    private @Nullable Takeover takeOverIfFree() throws SQLException {
        String relayId = context.options.relayId();
        return context.inTransaction(connection -> {
            ConsumerSql.Row row = context.consumers.lockForTakeover(connection, part);
            if (row == null) {
                return null; // locked by the owner's running batch, or no row yet
            }
            // A live lease recorded under this relay instance is this relay's own: one whose takeover
            // committed though this relay did not learn it did, or whose release failed. Taken again,
            // else the bulk renewal would keep it alive for no one.
            if (row.owner() != null && !row.expired() && !context.instance.equals(row.ownerInstance())) {
                if (row.owner().equals(relayId)) {
                    ownId.seen(row.leaseUntil());
                }
                return null;
            }
            long newEpoch = row.epoch() + 1;
            context.consumers.takeOver(connection, part, relayId, context.instance, newEpoch, context.leaseMillis());
            return new Takeover(newEpoch, row.checkpoint(), row.blockedSeq(), row.hasFailure(), row.resetGeneration());
        });
    }

    private boolean rowExists() throws SQLException {
        return context.withConnection(connection -> context.consumers.exists(connection, part));
    }

    /**
     * Creates the partition's checkpoint row (at the head or the beginning) if it has none.
     *
     * @throws OutboxConfigurationException if the consumer's rows record another number of partitions
     */
    void createRowIfMissing() throws SQLException {
        context.withConnection(connection -> {
            if (part.number() == 0) {
                refuseOtherPartitionCount(connection);
            }
            context.consumers.createRow(connection, part, consumer.startFrom());
            return null;
        });
    }

    private void refuseOtherPartitionCount(Connection connection) throws SQLException {
        for (int recorded : context.consumers.declaredPartitions(connection, part.consumer())) {
            if (recorded != part.count()) {
                throw new OutboxConfigurationException("consumer '" + part.consumer() + "' is declared with "
                        + part.count() + " partition(s), but the database holds it with " + recorded
                        + ": the number of a consumer's partitions cannot change in place, because each"
                        + " key's events would move to another partition with its own checkpoint and their"
                        + " order would be lost. Declare the new number under a new consumer name (it"
                        + " starts at the head, or from the beginning of the retained log with"
                        + " startFrom(BEGINNING)), and delete the old consumer with deleteConsumer(name) once"
                        + " the new one has caught up; or keep " + recorded + " partition(s).");
            }
        }
    }

    /** Extends the lease; throws {@link LeaseLostException} if it was taken over or reset meanwhile. */
    void renew() throws SQLException {
        if (!renewOnce()) {
            held = false;
            throw new LeaseLostException();
        }
    }

    /**
     * {@link #renew()} if a third of the lease passed since the last renewal: for a step that works
     * longer than a lease (a re-drive pass of many deliveries), so that no standby takes over meanwhile.
     */
    void renewIfDue() throws SQLException {
        if (renewalDue()) {
            renew();
        }
    }

    /**
     * Extends the lease in the caller's transaction, which holds the consumer's row lock ({@link
     * #lockRow}): a transactional handler may run longer than the lease, and its commit must not
     * leave an expired lease for a standby to take. Throws {@link LeaseLostException} if it was lost.
     */
    void renewIn(Connection connection) throws SQLException {
        long sent = System.nanoTime();
        if (context.consumers.renew(connection, part, epoch, context.leaseMillis()) != 1) {
            held = false;
            throw new LeaseLostException();
        }
        lastRenewalNanos = sent;
    }

    /**
     * Extends the lease while an at-least-once handler runs, from the lease keeper's thread. If the
     * lease was lost, the handler's batch must not be saved: {@link #checkNotFenced()} says so once
     * the handler returns.
     */
    void renewWhileHandling() throws SQLException {
        if (held && !fenced && !renewOnce()) {
            fenced = true;
        }
    }

    /**
     * A renewal counts from when it was sent, not from its answer: the database extends the lease
     * from the statement's start, and a statement that waited for a row lock may answer when the
     * lease it extended is almost over.
     */
    private boolean renewOnce() throws SQLException {
        long renewing = epoch;
        long sent = System.nanoTime();
        boolean renewed = context.withConnection(
                connection -> context.consumers.renew(connection, part, renewing, context.leaseMillis()) == 1);
        if (renewed) {
            lastRenewalNanos = sent;
        }
        return renewed;
    }

    /**
     * The relay renewed every lease it holds in one statement ({@link PartitionBalancer}), begun at
     * {@code startedNanos}: this one counts as renewed then, and its loop renews it no sooner.
     */
    void renewedInBulk(long startedNanos) {
        if (held && startedNanos - lastRenewalNanos > 0) {
            lastRenewalNanos = startedNanos;
        }
    }

    /**
     * Runs {@code work}, which locks the row ({@link #lockRow}) and holds it while a handler runs,
     * in one transaction. The lease is marked first, so that the {@link PartitionBalancer}'s renewal
     * of every lease in one statement leaves this row out: it would wait for the handler, and the
     * leases after this one in its statement would expire meanwhile. The row needs no renewal while
     * it is locked: a standby's takeover skips it, and the transaction renews it before it commits.
     */
    <T> T inLockingTransaction(RelayContext.Work<T> work) throws SQLException {
        // waits for a bulk renewal in flight, which may name this row and would wait for the lock
        context.bulkRenewal.readLock().lock();
        try {
            lockedByBatch = true;
        } finally {
            context.bulkRenewal.readLock().unlock();
        }
        try {
            return context.inTransaction(work);
        } finally {
            lockedByBatch = false;
        }
    }

    /**
     * Whether the {@link PartitionBalancer}'s bulk renewal may name this lease: held, its row not
     * locked by a batch of this relay, and surely still live, so that no other relay can hold the
     * row (and lock it in a batch, which the statement would wait for). Asked under the write lock
     * of {@link RelayContext#bulkRenewal}.
     */
    boolean renewableInBulk() {
        return held && !lockedByBatch && surelyLive();
    }

    /**
     * Whether the lease is held but may have expired: no renewal counted for most of a lease (the
     * database unreachable, say). Its loop renews it on its own, and learns whether it was lost.
     */
    boolean mayHaveExpired() {
        return held && !lockedByBatch && !surelyLive();
    }

    /**
     * Renewed less than four fifths of a lease ago, counted from when the renewal was sent: the
     * database extended it from later still; the fifth left covers the clocks' drift.
     */
    private boolean surelyLive() {
        long lease = context.options.leaseDuration().toNanos();
        return System.nanoTime() - lastRenewalNanos < lease - lease / 5;
    }

    /** Throws {@link LeaseLostException} if the lease keeper found the lease lost meanwhile. */
    void checkNotFenced() {
        if (fenced) {
            held = false;
            throw new LeaseLostException();
        }
    }

    /**
     * Locks the consumer's row for the rest of the transaction and returns its checkpoint; throws
     * {@link LeaseLostException} if the lease was taken over or reset meanwhile.
     */
    long lockRow(Connection connection) throws SQLException {
        ConsumerSql.Locked row = context.consumers.lock(connection, part);
        if (row == null || row.epoch() != epoch) {
            held = false;
            throw new LeaseLostException();
        }
        return row.checkpoint();
    }

    /**
     * Saves the checkpoint and renews the lease; with {@code clearFailure} also clears the failure
     * state the status shows. Throws {@link LeaseLostException} if the lease was lost.
     */
    void saveCheckpoint(Connection connection, long seq, boolean clearFailure) throws SQLException {
        long sent = System.nanoTime();
        if (context.consumers.saveCheckpoint(connection, part, epoch, seq, clearFailure, context.leaseMillis()) != 1) {
            held = false;
            throw new LeaseLostException();
        }
        lastRenewalNanos = sent;
    }

    /**
     * Records the failure the consumer is in, for {@link dev.outbox.OutboxRelay#status()}: the
     * error, the seq it is blocked at (or {@code null}), and whether it waits for its downstream.
     */
    void recordFailure(Throwable error, @Nullable Long blockedSeq, boolean waiting) throws SQLException {
        Objects.requireNonNull(error, "error");
        int recorded = context.withConnection(connection -> context.consumers.recordFailure(
                connection, part, epoch, ErrorText.describe(error), blockedSeq, waiting));
        if (recorded != 1) {
            held = false;
            throw new LeaseLostException();
        }
    }

    /**
     * Records that the downstream answered: the status no longer shows a wait for it. Throws {@link
     * LeaseLostException} if the lease was lost.
     */
    void clearWaiting() throws SQLException {
        if (context.withConnection(connection -> context.consumers.clearWaiting(connection, part, epoch)) != 1) {
            held = false;
            throw new LeaseLostException();
        }
    }

    /**
     * Gives the lease up so that another relay can take over at once. Held until the release is
     * written: a failed one is tried again, not left to the bulk renewal to keep alive.
     */
    void release() throws SQLException {
        if (!held) {
            return;
        }
        context.withConnection(connection -> {
            context.consumers.release(connection, part, epoch);
            return null;
        });
        held = false;
    }
}
