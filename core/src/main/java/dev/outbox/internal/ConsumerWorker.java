package dev.outbox.internal;

import dev.outbox.DeadLetter;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRecord;
import dev.outbox.RetryPolicy;
import dev.outbox.spi.SqlFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one consumer: takes its lease, reads the log after its checkpoint, calls the handler, saves
 * the checkpoint; retries failed events by the consumer's {@link RetryPolicy} and then applies its
 * {@link FailurePolicy}; carries out re-drives of its dead letters.
 *
 * <p>A batch that fails is not retried as a batch: its events are delivered one at a time until
 * the batch's range is passed, so the retry count, the block and the dead letter belong to the one
 * event that fails. Failures of the database itself (connection lost, server restarting, deadlock)
 * are not handler failures: they are retried with back-off for ever and never count as attempts.
 *
 * <p>Runs on its own thread ({@code outbox-consumer-<name>}).
 */
final class ConsumerWorker extends RelayLoop {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerWorker.class);

    /** Longest sleep while a retry is scheduled, so that the injected clock is looked at again. */
    private static final Duration RETRY_WAIT_SLICE = Duration.ofMillis(250);

    /** The handler threw; carries the events it was given through the transaction template. */
    private static final class HandlerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient List<OutboxRecord> delivered;

        HandlerFailure(Exception cause, List<OutboxRecord> delivered) {
            super(cause);
            this.delivered = delivered;
        }
    }

    /** The log has a hole after the checkpoint; it is waited out, never skipped. */
    private static final class GapDetected extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GapDetected(String message) {
            super(message);
        }
    }

    /** Thrown inside a transaction whose epoch-checked write matched no row, to roll it back. */
    private static final class LeaseLost extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LeaseLost() {
            super(null, null, false, false);
        }
    }

    private static final int LEASE_LOST = -1;

    private final OutboxConsumer consumer;
    private final RelayContext context;
    private final ConsumerLease lease;
    private final DeadLetterStore deadLetters;
    private final BooleanSupplier localSequencerLeads;
    private final Backoff idlePolls;
    private final Clock clock;
    private final SplittableRandom random = new SplittableRandom();
    private volatile boolean recheckLease;
    private volatile boolean deadLettersChanged = true;
    private long checkpoint;
    private long gapSinceNanos;
    private Set<String> parkedKeys = Set.of();

    // Retry state of the event that fails now, if any.
    private long failingSeq = -1;
    private int failedAttempts;
    private @Nullable Instant firstFailedAt;
    private @Nullable Instant nextAttemptAt;
    private boolean blocked;
    /**
     * After a batch failed: deliver at most {@code isolationLimit} events per call up to this seq,
     * halving the limit at each failure, to find the one event the batch failed on.
     */
    private long isolateUntil = -1;

    private int isolationLimit = 1;

    ConsumerWorker(
            OutboxConsumer consumer,
            RelayContext context,
            DeadLetterStore deadLetters,
            BooleanSupplier localSequencerLeads) {
        super(new FailureLog(LOG, "consumer '" + consumer.name() + "'", context.dialect));
        this.consumer = consumer;
        this.context = context;
        this.lease = new ConsumerLease(consumer, context);
        this.deadLetters = deadLetters;
        this.localSequencerLeads = localSequencerLeads;
        this.idlePolls = new Backoff(context.options.pollFloor(), context.options.pollCeiling());
        this.clock = context.options.clock();
    }

    String name() {
        return consumer.name();
    }

    boolean isOwner() {
        return lease.held();
    }

    /**
     * Creates the consumer's checkpoint row now, so that {@link dev.outbox.StartPosition#HEAD} means
     * the head when the relay started, not whenever the loop first gets to it.
     */
    void createCheckpoint() throws SQLException {
        lease.createRowIfMissing();
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

    /** Makes the loop look at its dead letters at once: re-drives were requested or some discarded. */
    void deadLettersChanged() {
        deadLettersChanged = true;
        wakeUp.signal();
    }

    @Override
    protected Duration onFailure(Exception failure) {
        if (failure instanceof GapDetected) {
            if (gapSinceNanos == 0) {
                gapSinceNanos = System.nanoTime();
            }
            if (System.nanoTime() - gapSinceNanos
                    <= context.options.leaseDuration().toNanos()) {
                return context.options.pollFloor(); // a hole is waited out quietly for a while
            }
        }
        return failures.failed("consuming", failure);
    }

    @Override
    protected void release() {
        try {
            lease.release();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("consumer '{}': could not release its lease; it expires by itself", consumer.name(), e);
        }
    }

    @Override
    protected Duration step() throws SQLException {
        if (!lease.held()) {
            if (!lease.tryTakeOver()) {
                return context.options.leaseDuration().dividedBy(3);
            }
            checkpoint = lease.checkpointAtTakeover();
            forgetFailure();
            isolateUntil = -1;
            deadLettersChanged = true;
            LOG.info(
                    "consumer '{}' now runs in relay {} from seq {} (epoch {})",
                    consumer.name(),
                    context.options.relayId(),
                    checkpoint + 1,
                    lease.epoch());
        }
        if (recheckLease || lease.renewalDue()) {
            recheckLease = false;
            if (!lease.renew()) {
                return leaseLost();
            }
            deadLettersChanged = true; // re-drives requested by other processes are seen here
        }
        if (deadLettersChanged) {
            deadLettersChanged = false;
            if (consumer.failurePolicy() == FailurePolicy.PARK_KEY) {
                parkedKeys = deadLetters.parkedKeys(consumer.name());
            }
            if (redrive()) {
                return Duration.ZERO;
            }
        }
        if (nextAttemptAt != null) {
            Duration untilRetry = Duration.between(clock.instant(), nextAttemptAt);
            if (untilRetry.compareTo(Duration.ZERO) > 0) {
                return untilRetry.compareTo(RETRY_WAIT_SLICE) < 0 ? untilRetry : RETRY_WAIT_SLICE;
            }
        }
        int limit = checkpoint < isolateUntil ? isolationLimit : consumer.batchSize();
        int delivered;
        try {
            delivered = consumer.isTransactional() ? transactionalBatch(limit) : atLeastOnceBatch(limit);
        } catch (HandlerFailure failure) {
            return handlerFailed(failure);
        }
        if (delivered == LEASE_LOST) {
            return leaseLost();
        }
        gapSinceNanos = 0;
        if (delivered > 0) {
            succeeded();
            idlePolls.reset();
            return delivered == limit ? Duration.ZERO : context.options.pollFloor();
        }
        // When this relay sequences, it wakes its consumers after every batch: no need to poll.
        return localSequencerLeads.getAsBoolean()
                ? context.options.leaseDuration().dividedBy(3)
                : idlePolls.next();
    }

    private Duration leaseLost() {
        lease.lost();
        LOG.info(
                "consumer '{}': relay {} no longer holds the lease (taken over or reset)",
                consumer.name(),
                context.options.relayId());
        return Duration.ZERO;
    }

    // --- delivery --------------------------------------------------------------------------------

    private int atLeastOnceBatch(int limit) throws SQLException {
        List<OutboxRecord> batch = context.withConnection(
                connection -> contiguous(context.readLog(connection, checkpoint, limit), connection));
        if (batch.isEmpty()) {
            return 0;
        }
        List<OutboxRecord> parkedBehindKey = parkedBehindKey(batch);
        List<OutboxRecord> toDeliver = without(batch, parkedBehindKey);
        if (!toDeliver.isEmpty()) {
            try {
                Objects.requireNonNull(consumer.handler()).handle(toDeliver);
            } catch (Exception e) {
                throw new HandlerFailure(e, toDeliver);
            }
        }
        long last = batch.get(batch.size() - 1).seq();
        if (parkedBehindKey.isEmpty()) {
            // the common case: one auto-committed update, no transaction to open
            if (!saveCheckpointAfterDelivery(last)) {
                return LEASE_LOST;
            }
        } else {
            try {
                context.inTransaction(connection -> {
                    parkBehindKey(connection, parkedBehindKey);
                    return saveCheckpointOrRollBack(connection, last);
                });
            } catch (LeaseLost lost) {
                return LEASE_LOST;
            }
        }
        checkpoint = last;
        return batch.size();
    }

    private int transactionalBatch(int limit) throws SQLException {
        int delivered = context.inTransaction(connection -> {
            long saved = lease.lockRow(connection);
            if (saved < 0) {
                return LEASE_LOST;
            }
            checkpoint = saved;
            List<OutboxRecord> batch = contiguous(context.readLog(connection, checkpoint, limit), connection);
            if (batch.isEmpty()) {
                return 0;
            }
            List<OutboxRecord> parkedBehindKey = parkedBehindKey(batch);
            List<OutboxRecord> toDeliver = without(batch, parkedBehindKey);
            if (!toDeliver.isEmpty()) {
                try {
                    Objects.requireNonNull(consumer.transactionalHandler()).handle(toDeliver, connection);
                } catch (Exception e) {
                    throw new HandlerFailure(e, toDeliver);
                }
            }
            parkBehindKey(connection, parkedBehindKey);
            return saveCheckpointOrRollBack(
                            connection, batch.get(batch.size() - 1).seq())
                    ? batch.size()
                    : 0;
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

    // --- failures --------------------------------------------------------------------------------

    private Duration handlerFailed(HandlerFailure failure) throws SQLException {
        Throwable cause = failure.getCause();
        if (isInfrastructureFailure(cause)) {
            // The database, not the handler: retried for ever, never counted, never parked.
            return failures.failed("delivering to the handler", cause);
        }
        List<OutboxRecord> delivered = failure.delivered;
        if (delivered.size() > 1) {
            // Bisect: a handler with a cost per call (a commit, an HTTP request) finds the failing
            // event in log2(n) calls, and a transient failure costs a few calls, not n.
            isolateUntil =
                    Math.max(isolateUntil, delivered.get(delivered.size() - 1).seq());
            isolationLimit = Math.max(1, delivered.size() / 2);
            LOG.debug(
                    "consumer '{}': batch {}..{} failed; retrying it {} events at a time",
                    consumer.name(),
                    delivered.get(0).seq(),
                    delivered.get(delivered.size() - 1).seq(),
                    isolationLimit);
            return Duration.ZERO;
        }
        OutboxRecord event = delivered.get(0);
        Instant now = clock.instant();
        if (event.seq() != failingSeq) {
            forgetFailure();
            failingSeq = event.seq();
            firstFailedAt = now;
        }
        failedAttempts++;
        RetryPolicy retry = consumer.retryPolicy();
        if (failedAttempts < retry.maxAttempts()) {
            Duration wait = retry.backoff(failedAttempts, random);
            nextAttemptAt = now.plus(wait);
            if (failedAttempts == 1) {
                recordError(cause, null);
                LOG.warn(
                        "consumer '{}': handler failed on seq {}; retrying (up to {} attempts)",
                        consumer.name(),
                        event.seq(),
                        retry.maxAttempts(),
                        cause);
            } else {
                LOG.debug("consumer '{}': attempt {} on seq {} failed", consumer.name(), failedAttempts, event.seq());
            }
            return Duration.ZERO;
        }
        return switch (consumer.failurePolicy()) {
            case BLOCK -> block(event, cause, now);
            case PARK, PARK_KEY -> park(event, cause, now);
        };
    }

    private Duration block(OutboxRecord event, Throwable cause, Instant now) throws SQLException {
        if (!blocked) {
            blocked = true;
            LOG.error(
                    "consumer '{}' is BLOCKED at seq {} after {} failed attempts; it retries every {} and"
                            + " delivers nothing after it until the handler succeeds",
                    consumer.name(),
                    event.seq(),
                    failedAttempts,
                    consumer.retryPolicy().maxBackoff(),
                    cause);
        }
        recordError(cause, event.seq());
        nextAttemptAt = now.plus(consumer.retryPolicy().maxBackoff());
        return Duration.ZERO;
    }

    private Duration park(OutboxRecord event, Throwable cause, Instant now) throws SQLException {
        Instant first = Objects.requireNonNull(firstFailedAt);
        int attempts = failedAttempts;
        try {
            context.inTransaction(connection -> {
                deadLetters.park(connection, consumer.name(), event.seq(), cause, "", attempts, first, now);
                return saveCheckpointOrRollBack(connection, event.seq());
            });
        } catch (LeaseLost lost) {
            return leaseLost();
        }
        checkpoint = event.seq();
        LOG.warn(
                "consumer '{}' parked seq {} (key '{}') after {} failed attempts; re-drive it with"
                        + " relay.deadLetters().redrive(\"{}\", {})",
                consumer.name(),
                event.seq(),
                event.aggregateId(),
                attempts,
                consumer.name(),
                event.seq());
        if (consumer.failurePolicy() == FailurePolicy.PARK_KEY) {
            Set<String> keys = new java.util.HashSet<>(parkedKeys);
            keys.add(event.aggregateId());
            parkedKeys = keys;
        }
        succeeded();
        return Duration.ZERO;
    }

    /**
     * Saves an at-least-once checkpoint after the handler succeeded. A deadlock or lock timeout is
     * retried here rather than by the loop: the loop would deliver the batch again.
     */
    private boolean saveCheckpointAfterDelivery(long last) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return context.withConnection(connection -> lease.saveCheckpoint(connection, last));
            } catch (SQLException e) {
                if (attempt >= 5 || context.dialect.classify(e) != SqlFailure.TRANSIENT) {
                    throw e;
                }
            }
        }
    }

    /** Saves the checkpoint, or throws {@link LeaseLost} to roll the transaction back. */
    private boolean saveCheckpointOrRollBack(Connection connection, long seq) throws SQLException {
        if (!lease.saveCheckpoint(connection, seq)) {
            throw new LeaseLost();
        }
        return true;
    }

    /** The events of keys that have parked events, which {@link FailurePolicy#PARK_KEY} parks too. */
    private List<OutboxRecord> parkedBehindKey(List<OutboxRecord> batch) {
        if (parkedKeys.isEmpty()) {
            return List.of();
        }
        List<OutboxRecord> behind = new ArrayList<>();
        for (OutboxRecord record : batch) {
            if (parkedKeys.contains(record.aggregateId())) {
                behind.add(record);
            }
        }
        return behind;
    }

    private void parkBehindKey(Connection connection, List<OutboxRecord> records) throws SQLException {
        Instant now = clock.instant();
        for (OutboxRecord record : records) {
            deadLetters.park(
                    connection,
                    consumer.name(),
                    record.seq(),
                    null,
                    "parked behind an earlier parked event of key '" + record.aggregateId() + "'",
                    0,
                    now,
                    now);
        }
    }

    private static List<OutboxRecord> without(List<OutboxRecord> batch, List<OutboxRecord> removed) {
        if (removed.isEmpty()) {
            return batch;
        }
        List<OutboxRecord> rest = new ArrayList<>(batch);
        rest.removeAll(removed);
        return rest;
    }

    /** Whether a handler's exception came from the database being unavailable, not from the handler. */
    private boolean isInfrastructureFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                SqlFailure kind = context.dialect.classify(sql);
                if (kind == SqlFailure.CONNECTION || kind == SqlFailure.TRANSIENT) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private void succeeded() throws SQLException {
        if (failingSeq >= 0) {
            if (blocked) {
                LOG.info("consumer '{}' is no longer blocked: seq {} was delivered", consumer.name(), failingSeq);
            }
            forgetFailure();
            clearError();
        }
    }

    private void forgetFailure() {
        failingSeq = -1;
        failedAttempts = 0;
        firstFailedAt = null;
        nextAttemptAt = null;
        blocked = false;
    }

    private void recordError(Throwable cause, @Nullable Long blockedSeq) throws SQLException {
        context.withConnection(connection -> {
            try (NamedSql.Bound update = context.ops.recordError.prepare(connection)) {
                return update.setString("error", DeadLetterStore.describe(cause))
                        .setLong("blocked_seq", blockedSeq)
                        .set("consumer", consumer.name())
                        .set("epoch", lease.epoch())
                        .statement()
                        .executeUpdate();
            }
        });
    }

    private void clearError() throws SQLException {
        context.withConnection(connection -> {
            try (NamedSql.Bound update = context.ops.clearError.prepare(connection)) {
                return update.set("consumer", consumer.name())
                        .set("epoch", lease.epoch())
                        .statement()
                        .executeUpdate();
            }
        });
    }

    // --- re-drive --------------------------------------------------------------------------------

    /** Delivers the dead letters waiting for re-drive; returns whether there were any. */
    private boolean redrive() throws SQLException {
        List<DeadLetter> requests = deadLetters.redriveRequests(consumer.name(), consumer.batchSize());
        for (DeadLetter deadLetter : requests) {
            OutboxRecord record = deadLetter.record();
            try {
                boolean done;
                if (consumer.isTransactional()) {
                    done = context.inTransaction(connection -> {
                        if (lease.lockRow(connection) < 0) {
                            return false;
                        }
                        try {
                            Objects.requireNonNull(consumer.transactionalHandler())
                                    .handle(List.of(record), connection);
                        } catch (Exception e) {
                            throw new HandlerFailure(e, List.of(record));
                        }
                        deadLetters.delete(connection, consumer.name(), record.seq());
                        return true;
                    });
                } else {
                    try {
                        Objects.requireNonNull(consumer.handler()).handle(List.of(record));
                    } catch (Exception e) {
                        throw new HandlerFailure(e, List.of(record));
                    }
                    done = context.inTransaction(connection -> {
                        deadLetters.delete(connection, consumer.name(), record.seq());
                        return true;
                    });
                }
                if (!done) {
                    leaseLost();
                    return true;
                }
                LOG.info("consumer '{}': re-drove parked seq {}", consumer.name(), record.seq());
            } catch (HandlerFailure failure) {
                if (isInfrastructureFailure(failure.getCause())) {
                    throw new IllegalStateException("database unavailable during re-drive", failure.getCause());
                }
                LOG.warn(
                        "consumer '{}': re-drive of seq {} failed; it stays parked",
                        consumer.name(),
                        record.seq(),
                        failure.getCause());
                deadLetters.redriveFailed(deadLetter, failure.getCause(), clock.instant());
            }
        }
        if (!requests.isEmpty() && consumer.failurePolicy() == FailurePolicy.PARK_KEY) {
            parkedKeys = deadLetters.parkedKeys(consumer.name());
        }
        if (requests.size() == consumer.batchSize()) {
            deadLettersChanged = true; // more to come
        }
        return !requests.isEmpty();
    }
}
