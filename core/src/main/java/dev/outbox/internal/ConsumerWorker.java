package dev.outbox.internal;

import dev.outbox.EventHandler;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRecord;
import dev.outbox.StartPosition;
import dev.outbox.TransactionalEventHandler;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one consumer: takes its lease, reads the log after its checkpoint, calls the handler and
 * saves the checkpoint, until stopped.
 *
 * <p>The lease (owner, epoch, lease_until on the consumer's row) makes one relay at a time run the
 * consumer. Every checkpoint write names the epoch the lease was taken with, so a relay that paused
 * past its lease (and was replaced, which bumped the epoch) finds its write rejected and stops
 * instead of moving a cursor it no longer owns. A transactional batch locks the row for its whole
 * transaction, which also keeps a standby from taking over in the middle of it.
 *
 * <p>Runs on its own thread ({@code outbox-consumer-<name>}).
 */
final class ConsumerWorker implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerWorker.class);

    /** Thrown through the transaction template when the handler fails, to roll back and retry. */
    private static final class HandlerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient List<OutboxRecord> batch;

        HandlerFailure(Exception cause, List<OutboxRecord> batch) {
            super(cause);
            this.batch = batch;
        }
    }

    /** The log has a hole after the checkpoint; it is waited out, never skipped. */
    private static final class GapDetected extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GapDetected(String message) {
            super(message);
        }
    }

    private static final int LEASE_LOST = -1;

    private final OutboxConsumer consumer;
    private final RelayContext context;
    private final Signal wakeUp = new Signal();
    private final BooleanSupplier localSequencerLeads;
    private final FailureLog failures;
    private final Backoff idlePolls;
    private final Backoff retries;
    private final Backoff failureBackoff;
    private volatile boolean stopping;
    private volatile boolean owner;
    private volatile boolean recheckLease;
    private long epoch;
    private long checkpoint;
    private long lastRenewalNanos;
    private int failedAttempts;
    private long gapSinceNanos;

    ConsumerWorker(OutboxConsumer consumer, RelayContext context, BooleanSupplier localSequencerLeads) {
        this.consumer = consumer;
        this.context = context;
        this.localSequencerLeads = localSequencerLeads;
        this.failures = new FailureLog(LOG, "consumer '" + consumer.name() + "'");
        this.idlePolls = new Backoff(context.options.pollFloor(), context.options.pollCeiling());
        this.retries = new Backoff(consumer.retryMinBackoff(), consumer.retryMaxBackoff());
        this.failureBackoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    String name() {
        return consumer.name();
    }

    boolean isOwner() {
        return owner;
    }

    /** Wakes the loop: new entries may be in the log. */
    void wakeUp() {
        wakeUp.signal();
    }

    /** Makes the loop check its lease at once, for example after its checkpoint was reset. */
    void recheckLease() {
        recheckLease = true;
        wakeUp.signal();
    }

    void stop() {
        stopping = true;
        wakeUp.signal();
    }

    @Override
    public void run() {
        try {
            while (!stopping) {
                Duration wait;
                try {
                    wait = step();
                    failures.recovered();
                    failureBackoff.reset();
                } catch (HandlerFailure failure) {
                    failedAttempts++;
                    wait = retries.next();
                    LOG.warn(
                            "consumer '{}': handler failed on seq {}..{} (attempt {}), retrying in {} ms",
                            consumer.name(),
                            failure.batch.get(0).seq(),
                            failure.batch.get(failure.batch.size() - 1).seq(),
                            failedAttempts,
                            wait.toMillis(),
                            failure.getCause());
                } catch (GapDetected gap) {
                    wait = context.options.pollFloor();
                    if (gapSinceNanos == 0) {
                        gapSinceNanos = System.nanoTime();
                    } else if (System.nanoTime() - gapSinceNanos
                            > context.options.leaseDuration().toNanos()) {
                        failures.failed("reading the log", gap);
                        wait = failureBackoff.next();
                    }
                } catch (SQLException | RuntimeException e) {
                    failures.failed("consuming", e);
                    wait = failureBackoff.next();
                }
                if (!wait.isZero() && !stopping) {
                    wakeUp.await(wait);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            release();
        }
    }

    private Duration step() throws SQLException {
        if (!owner) {
            if (!tryTakeOver()) {
                return context.options.leaseDuration().dividedBy(3);
            }
            LOG.info(
                    "consumer '{}' now runs in relay {} from seq {} (epoch {})",
                    consumer.name(),
                    context.options.relayId(),
                    checkpoint + 1,
                    epoch);
        }
        if (recheckLease) {
            recheckLease = false;
            if (!renew()) {
                return leaseLost();
            }
        }
        int delivered = consumer.isTransactional() ? transactionalBatch() : atLeastOnceBatch();
        if (delivered == LEASE_LOST) {
            return leaseLost();
        }
        gapSinceNanos = 0;
        if (delivered > 0) {
            failedAttempts = 0;
            retries.reset();
            idlePolls.reset();
            return delivered == consumer.batchSize() ? Duration.ZERO : context.options.pollFloor();
        }
        if (renewalDue() && !renew()) {
            return leaseLost();
        }
        // When this relay sequences, it wakes its consumers after every batch: no need to poll.
        return localSequencerLeads.getAsBoolean()
                ? context.options.leaseDuration().dividedBy(3)
                : idlePolls.next();
    }

    private Duration leaseLost() {
        owner = false;
        LOG.info(
                "consumer '{}': relay {} no longer holds the lease (taken over or reset)",
                consumer.name(),
                context.options.relayId());
        return Duration.ZERO;
    }

    private int atLeastOnceBatch() throws SQLException {
        List<OutboxRecord> batch = context.withConnection(
                connection -> contiguous(context.readLog(connection, checkpoint, consumer.batchSize()), connection));
        if (batch.isEmpty()) {
            return 0;
        }
        EventHandler handler = Objects.requireNonNull(consumer.handler());
        try {
            handler.handle(batch);
        } catch (Exception e) {
            throw new HandlerFailure(e, batch);
        }
        long last = batch.get(batch.size() - 1).seq();
        boolean saved = context.withConnection(connection -> saveCheckpoint(connection, last));
        if (!saved) {
            return LEASE_LOST;
        }
        checkpoint = last;
        return batch.size();
    }

    private int transactionalBatch() throws SQLException {
        TransactionalEventHandler handler = Objects.requireNonNull(consumer.transactionalHandler());
        int delivered = context.inTransaction(connection -> {
            try (NamedSql.Bound lock = context.sql.lockConsumer.prepare(connection)) {
                lock.set("name", consumer.name());
                try (ResultSet rs = lock.statement().executeQuery()) {
                    if (!rs.next() || rs.getLong(2) != epoch) {
                        return LEASE_LOST;
                    }
                    checkpoint = rs.getLong(1);
                }
            }
            List<OutboxRecord> batch =
                    contiguous(context.readLog(connection, checkpoint, consumer.batchSize()), connection);
            if (batch.isEmpty()) {
                return 0;
            }
            try {
                handler.handle(batch, connection);
            } catch (Exception e) {
                throw new HandlerFailure(e, batch);
            }
            long last = batch.get(batch.size() - 1).seq();
            if (!saveCheckpoint(connection, last)) {
                throw new IllegalStateException("checkpoint row changed under its lock");
            }
            return batch.size();
        });
        if (delivered > 0) {
            checkpoint += delivered;
        }
        return delivered;
    }

    /**
     * The longest prefix of {@code batch} that continues the checkpoint without a hole. The log is
     * gap-free by construction; this check makes a violation visible instead of silently skipping.
     * The first entry may be past the checkpoint only where retention removed the entries between.
     */
    private List<OutboxRecord> contiguous(List<OutboxRecord> batch, Connection connection) throws SQLException {
        if (batch.isEmpty()) {
            return batch;
        }
        long first = batch.get(0).seq();
        if (first != checkpoint + 1) {
            long lowest = context.lowestRetainedSeq(connection);
            if (!(first == lowest && lowest > checkpoint + 1)) {
                throw new GapDetected("consumer '" + consumer.name() + "': the log has no seq " + (checkpoint + 1)
                        + " but has " + first + "; waiting for it");
            }
            LOG.warn(
                    "consumer '{}': entries {}..{} were removed by retention before it read them",
                    consumer.name(),
                    checkpoint + 1,
                    first - 1);
        }
        for (int i = 1; i < batch.size(); i++) {
            if (batch.get(i).seq() != batch.get(i - 1).seq() + 1) {
                return batch.subList(0, i);
            }
        }
        return batch;
    }

    private boolean saveCheckpoint(Connection connection, long seq) throws SQLException {
        try (NamedSql.Bound save = context.sql.saveCheckpoint.prepare(connection)) {
            boolean saved = save.set("checkpoint", seq)
                            .set("lease_ms", context.leaseMillis())
                            .set("name", consumer.name())
                            .set("epoch", epoch)
                            .statement()
                            .executeUpdate()
                    == 1;
            if (saved) {
                lastRenewalNanos = System.nanoTime();
            }
            return saved;
        }
    }

    private boolean renewalDue() {
        return System.nanoTime() - lastRenewalNanos
                > context.options.leaseDuration().toNanos() / 3;
    }

    private boolean renew() throws SQLException {
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
            lastRenewalNanos = System.nanoTime();
        }
        return renewed;
    }

    private boolean tryTakeOver() throws SQLException {
        long[] taken = context.inTransaction(connection -> {
            NamedSql insert = consumer.startFrom() == StartPosition.HEAD
                    ? context.sql.insertConsumerAtHead
                    : context.sql.insertConsumerAtBeginning;
            try (NamedSql.Bound create = insert.prepare(connection)) {
                create.set("name", consumer.name());
                if (consumer.startFrom() == StartPosition.HEAD) {
                    create.set("sequencer", OutboxSql.SEQUENCER_NAME);
                }
                create.statement().executeUpdate();
            }
            long newEpoch;
            long savedCheckpoint;
            try (NamedSql.Bound lock = context.sql.lockConsumerForTakeover.prepare(connection)) {
                lock.set("name", consumer.name());
                try (ResultSet rs = lock.statement().executeQuery()) {
                    if (!rs.next()) {
                        return null; // locked by the owner's running batch, so the owner is alive
                    }
                    String currentOwner = rs.getString(1);
                    boolean expired = rs.getInt(3) == 1;
                    if (currentOwner != null && !expired && !currentOwner.equals(context.options.relayId())) {
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
        if (taken == null) {
            return false;
        }
        epoch = taken[0];
        checkpoint = taken[1];
        owner = true;
        recheckLease = false;
        lastRenewalNanos = System.nanoTime();
        return true;
    }

    private void release() {
        if (!owner) {
            return;
        }
        owner = false;
        try {
            context.withConnection(connection -> {
                try (NamedSql.Bound release = context.sql.releaseConsumer.prepare(connection)) {
                    return release.set("name", consumer.name())
                            .set("epoch", epoch)
                            .statement()
                            .executeUpdate();
                }
            });
        } catch (SQLException | RuntimeException e) {
            LOG.warn("consumer '{}': could not release its lease; it expires by itself", consumer.name(), e);
        }
    }
}
