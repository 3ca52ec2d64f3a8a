package dev.outbox.internal;

import dev.outbox.DownstreamUnavailableException;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.RelayListener;
import dev.outbox.spi.SqlFailure;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one consumer: takes its lease, carries out re-drives, reads the log after its checkpoint,
 * hands it to the {@link Delivery}, and acts on what the {@link FailureTracker} decides when the
 * handler fails: retry, bisect, block, park, or wait for the downstream. It records the failure
 * the consumer is in on the consumer's row, so that {@code status()} is true whichever relay runs
 * it, and clears it with the checkpoint of the first success after it.
 *
 * <p>Failures of the relay's own work (the database unreachable, a deadlock on the checkpoint) are
 * not handler failures: the {@link RelayLoop} retries them with back-off and they never count as
 * attempts. Runs on its own thread ({@code outbox-consumer-<name>}).
 */
final class ConsumerWorker extends RelayLoop {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerWorker.class);

    /** Longest sleep while a retry is scheduled, so that the injected clock is looked at again. */
    private static final Duration RETRY_WAIT_SLICE = Duration.ofMillis(250);

    /** How many leases an idle partition of a split consumer waits before it looks at the log itself. */
    private static final int SPLIT_IDLE_LOOK_LEASES = 10;

    private final OutboxConsumer consumer;
    private final Partition part;
    private final RelayContext context;
    private final StartupCheck startup;
    private final ConsumerLease lease;
    private final DeadLetterStore deadLetters;
    private final Delivery delivery;
    private final Redriver redriver;
    private final FailureTracker tracker;
    private final BooleanSupplier localSequencerLeads;
    private final Backoff idlePolls;
    private final Clock clock;
    private volatile boolean recheckLease;
    private volatile boolean deadLettersChanged = true;
    private long checkpoint;
    private long gapSinceNanos;
    /** Whether the consumer's row may show a failure, which the next success must clear. */
    private boolean failureInRow;
    /** The failure last recorded on the row, to record again when part of it ends. */
    private @Nullable Throwable recordedFailure;
    /** Whether the consumer's row may say it waits for its downstream (this relay's or a previous owner's). */
    private boolean waitingInRow;

    /**
     * PARK_KEY: the keys with dead letters, which the log's events of wait behind; null until read
     * in full after this relay took the lease (no log read runs before). Consumer thread only.
     */
    private @Nullable Set<String> parkedKeys;
    /** Whether the known parked keys are to be looked up again, to release those without letters. */
    private boolean probeParkedKeys;
    /** Re-drive requests are left for another pass (consumer thread only). */
    private boolean redrivePending;
    /** A split consumer's partition: the balancer asked this loop to try to take the lease. */
    private volatile boolean takeAsked;
    /** A split consumer's partition: the balancer asked this loop to give the lease up. */
    private volatile boolean releaseAsked;

    ConsumerWorker(
            OutboxConsumer consumer,
            Partition part,
            RelayContext context,
            RelayProblems problems,
            StartupCheck startup,
            DeadLetterStore deadLetters,
            LeaseKeeper keeper,
            ReadAhead readAhead,
            BooleanSupplier localSequencerLeads) {
        super(new FailureLog(LOG, part.label(), part.label(), context.dialect, problems));
        this.consumer = consumer;
        this.part = part;
        this.context = context;
        this.startup = startup;
        this.lease = new ConsumerLease(consumer, part, context, problems);
        this.deadLetters = deadLetters;
        this.delivery = consumer.isTransactional()
                ? new TransactionalDelivery(
                        consumer, Objects.requireNonNull(consumer.transactionalHandler()), context, lease, deadLetters)
                : new AtLeastOnceDelivery(
                        consumer,
                        consumer.sessionHandler() != null
                                ? consumer.sessionHandler()
                                : AtLeastOnceDelivery.sessionsOf(Objects.requireNonNull(consumer.handler())),
                        context,
                        lease,
                        deadLetters,
                        keeper,
                        readAhead);
        this.clock = context.options.clock();
        this.redriver = new Redriver(consumer, delivery, lease, deadLetters, clock, this::kindOf, this::answeredInRow);
        this.tracker = new FailureTracker(consumer.retryPolicy(), consumer.failurePolicy(), new SplittableRandom());
        this.localSequencerLeads = localSequencerLeads;
        this.idlePolls = new Backoff(context.options.pollFloor(), context.options.pollCeiling());
        this.parkedKeys = unknownParkedKeys();
        startup.register(lease);
    }

    Partition partition() {
        return part;
    }

    ConsumerLease lease() {
        return lease;
    }

    boolean isOwner() {
        return lease.held();
    }

    /** A split consumer's partition: try to take the lease, if it is still free, at the next step. */
    void askToTake() {
        takeAsked = true;
        wakeUp.signal();
    }

    /** A split consumer's partition: give the lease up after the batch in flight. */
    void askToRelease() {
        releaseAsked = true;
        wakeUp.signal();
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
    protected Duration onFailure(Throwable failure) {
        if (failure instanceof LogGapException) {
            if (gapSinceNanos == 0) {
                gapSinceNanos = System.nanoTime();
            }
            if (System.nanoTime() - gapSinceNanos
                    <= context.options.leaseDuration().toNanos()) {
                return context.options.pollFloor(); // a hole is waited out quietly for a while
            }
        }
        Duration wait = failures.failed("consuming", failure);
        if (!Failures.fromDatabase(failure) && lease.held() && !stopping) {
            try {
                record(failure, null, false); // the relay's own fault, shown as the consumer's state
            } catch (Throwable ignored) {
                // the log line and problems() have it
            }
        }
        return wait;
    }

    @Override
    protected Map<String, String> logContext() {
        return part.isSplit()
                ? Map.of(
                        LogContext.RELAY,
                        context.options.relayId(),
                        LogContext.CONSUMER,
                        part.consumer(),
                        LogContext.PARTITION,
                        Integer.toString(part.number()))
                : Map.of(LogContext.RELAY, context.options.relayId(), LogContext.CONSUMER, part.consumer());
    }

    @Override
    protected void release() {
        delivery.leaseEnded();
        try {
            lease.release();
        } catch (Throwable e) {
            LOG.warn("{}: could not release its lease; it expires by itself", part, e);
        }
    }

    @Override
    protected Duration step() throws SQLException {
        try {
            return consume();
        } catch (LeaseLostException lost) {
            lease.lost();
            delivery.leaseEnded();
            tracker.reset();
            LOG.info("{}: relay {} no longer holds the lease (taken over or reset)", part, context.options.relayId());
            return Duration.ZERO;
        }
    }

    private Duration consume() throws SQLException {
        startup.ensure();
        if (!lease.held()) {
            releaseAsked = false;
            if (part.isSplit() && !takeAsked) {
                return context.options.leaseDuration(); // the balancer wakes it when it may take one
            }
            takeAsked = false;
            ConsumerLease.Takeover taken = lease.tryTakeOver();
            if (taken == null) {
                return context.options.leaseDuration().dividedBy(3);
            }
            tookOver(taken);
        }
        if (releaseAsked) {
            // between two steps: the batch in flight, if any, is saved
            delivery.leaseEnded();
            lease.release();
            releaseAsked = false;
            tracker.reset();
            LOG.info("{} released by relay {} to balance the partitions", part, context.options.relayId());
            return Duration.ZERO;
        }
        if (recheckLease || lease.renewalDue()) {
            lease.renew();
            recheckLease = false; // cleared once renewed: a failed renewal is tried again next step
            deadLettersChanged = true; // re-drives requested by other processes are seen here
        }
        if (deadLettersChanged) {
            deadLettersChanged = false;
            redrivePending = true;
            probeParkedKeys = true;
        }
        // Before any log read: a step that fails here (a killed session, say) leaves the keys
        // unknown, and the next step reads them again instead of handing out events of a parked key.
        refreshParkedKeys();
        Instant nextAttempt = tracker.nextAttemptAt();
        if (nextAttempt != null) {
            Duration untilRetry = Duration.between(clock.instant(), nextAttempt);
            if (untilRetry.compareTo(Duration.ZERO) > 0) {
                return untilRetry.compareTo(RETRY_WAIT_SLICE) < 0 ? untilRetry : RETRY_WAIT_SLICE;
            }
        }
        if (redrivePending) {
            Redriver.Result redrive = redriver.run();
            if (redrive instanceof Redriver.Downstream downstream) {
                // the re-drive goes first once the downstream is back, after the back-off
                return decided(tracker.waitForDownstream(clock.instant()), downstream.cause());
            }
            redrivePending = false;
            if (redrive instanceof Redriver.Progress progress) {
                redrivePending = progress.more();
                if (progress.delivered()) {
                    releaseKeysWithoutLetters(progress.deliveredKeys());
                    redelivered();
                }
            }
            lease.renewIfDue();
        }
        // Between two passes of a long re-drive, the log's new entries are delivered too.
        Duration wait = deliverFromLog();
        return redrivePending ? Duration.ZERO : wait;
    }

    private Duration deliverFromLog() throws SQLException {
        int limit = tracker.limit(checkpoint, consumer.batchSize());
        long began = System.nanoTime();
        Delivery.Outcome outcome = delivery.deliver(
                checkpoint,
                tracker.readUpTo(checkpoint),
                limit,
                knownParkedKeys(),
                seq -> failureInRow && tracker.resolvedBy(seq));
        gapSinceNanos = 0;
        if (outcome instanceof Delivery.Delivered delivered) {
            context.listeners.delivered(
                    consumer.name(), part.number(), delivered.entries(), Duration.ofNanos(System.nanoTime() - began));
            return delivered(delivered);
        }
        if (outcome instanceof Delivery.Failed failed) {
            return failed(failed);
        }
        // When this relay sequences, it wakes its consumers after every batch: no need to poll. A
        // split consumer's partitions never poll: the sequencer, the notifications or the balancer's
        // watch of the log's head wake them, the balancer renews their leases and wakes them for a
        // re-drive asked for; they look on their own only every SPLIT_IDLE_LOOK_LEASES leases, so
        // that the idle cost of a relay does not grow with its partitions.
        if (part.isSplit()) {
            return context.options.leaseDuration().multipliedBy(SPLIT_IDLE_LOOK_LEASES);
        }
        return localSequencerLeads.getAsBoolean()
                ? context.options.leaseDuration().dividedBy(3)
                : idlePolls.next();
    }

    private void tookOver(ConsumerLease.Takeover taken) {
        delivery.leaseEnded(); // a session of a lease that ended unnoticed (a lost release, say)
        checkpoint = taken.checkpoint();
        parkedKeys = unknownParkedKeys();
        tracker.reset();
        Long blocked = taken.blockedSeq();
        if (blocked != null && blocked == checkpoint + 1) {
            tracker.restoreBlock(blocked, clock.instant());
        }
        failureInRow = taken.hasFailure();
        waitingInRow = taken.hasFailure();
        recordedFailure = null;
        deadLettersChanged = true;
        LOG.info(
                "{} now runs in relay {} from seq {} (epoch {}){}",
                part,
                context.options.relayId(),
                checkpoint + 1,
                taken.epoch(),
                blocked != null ? ", blocked at seq " + blocked + " until a delivery of it succeeds" : "");
    }

    /**
     * Reads the keys with dead letters after a takeover; later, only this relay parks events of
     * this consumer, so a look-up of each known key finds those whose last dead letter an operator
     * discarded or a re-drive delivered elsewhere, without a scan of the dead letters.
     */
    private void refreshParkedKeys() throws SQLException {
        if (parkedKeys == null) {
            parkedKeys = deadLetters.parkedKeys(part);
            probeParkedKeys = false;
        } else if (probeParkedKeys) {
            releaseKeysWithoutLetters(parkedKeys);
            probeParkedKeys = false;
        }
    }

    /** Null (to be read) under PARK_KEY, the only policy that parks by key; empty otherwise. */
    private @Nullable Set<String> unknownParkedKeys() {
        return consumer.failurePolicy() == FailurePolicy.PARK_KEY ? null : Set.of();
    }

    private Set<String> knownParkedKeys() {
        return Objects.requireNonNull(parkedKeys, "parked keys are read before the log");
    }

    /**
     * After a re-drive pass, lets the keys it delivered flow again if they have no dead letter left:
     * one look-up per key, where reading every parked key again costs a scan of the dead letters.
     */
    private void releaseKeysWithoutLetters(Set<String> keys) throws SQLException {
        if (consumer.failurePolicy() != FailurePolicy.PARK_KEY) {
            return;
        }
        Set<String> stillParked = new HashSet<>(knownParkedKeys());
        for (String key : keys) {
            if (!deadLetters.hasLetters(consumer.name(), key)) {
                stillParked.remove(key);
            }
        }
        parkedKeys = stillParked;
    }

    // --- outcomes ----------------------------------------------------------------------------------

    private Duration delivered(Delivery.Delivered delivered) throws SQLException {
        boolean wasBlocked = tracker.blocked();
        long failing = tracker.failingSeq();
        Instant waitingSince = tracker.waitingSince();
        checkpoint = delivered.lastSeq();
        tracker.delivered(delivered.lastSeq());
        if (delivered.clearedFailure()) {
            failureInRow = false;
            waitingInRow = false;
            recordedFailure = null;
        }
        if (waitingSince != null) {
            downstreamBack(waitingSince);
        }
        answeredInRow();
        if (wasBlocked && failing <= delivered.lastSeq()) {
            LOG.info("{} is no longer blocked: seq {} was delivered", part, failing);
        }
        idlePolls.reset();
        return delivered.more() ? Duration.ZERO : context.options.pollFloor();
    }

    /**
     * A re-drive succeeded: the downstream answers, and it is a success after the failure the row
     * shows, unless the log's delivery is failing.
     */
    private void redelivered() throws SQLException {
        Instant waitingSince = tracker.waitingSince();
        tracker.downstreamAnswered();
        if (failureInRow && tracker.failingSeq() < 0) {
            context.withConnection(connection -> {
                lease.saveCheckpoint(connection, checkpoint, true);
                return null;
            });
            failureInRow = false;
            waitingInRow = false;
            recordedFailure = null;
        }
        if (waitingSince != null) {
            downstreamBack(waitingSince);
        }
        answeredInRow();
    }

    /**
     * The handler answered: if the row may still say the consumer waits for its downstream (a wait
     * a previous owner recorded, say), it stops saying so; the error and blocked seq stay.
     */
    private void answeredInRow() throws SQLException {
        if (waitingInRow) {
            lease.clearWaiting();
            waitingInRow = false;
        }
    }

    /** The downstream answered after a wait: the status shows the failure that remains, if any. */
    private void downstreamBack(Instant waitingSince) throws SQLException {
        if (failureInRow && recordedFailure != null) {
            record(recordedFailure, tracker.blocked() ? tracker.failingSeq() : null, false);
        }
        LOG.info(
                "{}: its downstream is available again after {}",
                part,
                Duration.between(waitingSince, clock.instant()));
    }

    private Duration failed(Delivery.Failed failed) throws SQLException {
        Throwable cause = failed.cause();
        if (stopping) {
            if (cause instanceof InterruptedException) {
                Thread.currentThread().interrupt(); // a hard stop: the next owner delivers it again
            }
            return Duration.ZERO;
        }
        checkpoint = failed.checkpoint();
        FailureTracker.Kind kind = kindOf(cause);
        Instant waitingSince = tracker.waitingSince();
        if (kind == FailureTracker.Kind.HANDLER && (waitingSince != null || waitingInRow)) {
            // The handler answered, if with a failure of its own: the downstream is back, and the
            // status says so now, not only after the next success (a located failure past the
            // checkpoint delivers the events before it first, which may take a while).
            if (waitingSince != null) {
                tracker.downstreamAnswered();
                LOG.info(
                        "{}: its downstream is available again after {}",
                        part,
                        Duration.between(waitingSince, clock.instant()));
            }
            record(cause, tracker.blocked() ? tracker.failingSeq() : null, false);
        }
        FailureTracker.Failure failure = new FailureTracker.Failure(failed.remaining(), failed.located(), kind);
        return decided(tracker.failed(failure, checkpoint, clock.instant()), cause);
    }

    private Duration decided(FailureTracker.Decision decision, Throwable cause) throws SQLException {
        if (decision instanceof FailureTracker.Decision.Retry retry) {
            if (retry.event() != null && retry.attempt() == 1) {
                record(cause, null, false);
                LOG.warn(
                        "{}: handler failed on seq {}; retrying (up to {} attempts)",
                        part,
                        retry.event().seq(),
                        consumer.retryPolicy().maxAttempts(),
                        cause);
            } else if (retry.event() != null) {
                LOG.debug(
                        "{}: attempt {} on seq {} failed",
                        part,
                        retry.attempt(),
                        retry.event().seq());
            } else {
                LOG.debug("{}: a batch failed; delivering fewer events to find the failing one", part, cause);
            }
        } else if (decision instanceof FailureTracker.Decision.Block block) {
            record(cause, block.event().seq(), false);
            if (block.newly()) {
                LOG.error(
                        "{} is BLOCKED at seq {} after {} failed attempts; it retries every {} and"
                                + " delivers nothing after it until the handler succeeds",
                        part,
                        block.event().seq(),
                        block.attempts(),
                        consumer.retryPolicy().maxBackoff(),
                        cause);
            }
        } else if (decision instanceof FailureTracker.Decision.Park park) {
            park(park, cause);
        } else if (decision instanceof FailureTracker.Decision.WaitForDownstream wait && wait.began()) {
            record(cause, tracker.blocked() ? tracker.failingSeq() : null, true);
            LOG.warn(
                    "{} is WAITING_FOR_DOWNSTREAM: its handler's downstream is unavailable; retrying"
                            + " with back-off (up to {} apart), nothing is counted or parked meanwhile",
                    part,
                    consumer.retryPolicy().maxBackoff(),
                    cause);
        }
        context.listeners.failed(consumer.name(), part.number(), cause, reactionTo(decision)); // once it took effect
        return Duration.ZERO; // the wait for the next attempt is at the top of the next step
    }

    private static RelayListener.Reaction reactionTo(FailureTracker.Decision decision) {
        if (decision instanceof FailureTracker.Decision.Block) {
            return RelayListener.Reaction.BLOCK;
        }
        if (decision instanceof FailureTracker.Decision.Park) {
            return RelayListener.Reaction.PARK;
        }
        return decision instanceof FailureTracker.Decision.WaitForDownstream
                ? RelayListener.Reaction.WAIT_FOR_DOWNSTREAM
                : RelayListener.Reaction.RETRY;
    }

    private void park(FailureTracker.Decision.Park park, Throwable cause) throws SQLException {
        long seq = park.event().seq();
        Instant now = clock.instant();
        context.inTransaction(connection -> {
            deadLetters.park(
                    connection,
                    part,
                    seq,
                    DeadLetterSql.Parking.failed(cause, park.attempts(), park.firstFailedAt(), now));
            lease.saveCheckpoint(connection, seq, false);
            return null;
        });
        checkpoint = seq;
        tracker.delivered(seq);
        if (consumer.failurePolicy() == FailurePolicy.PARK_KEY) {
            Set<String> keys = new HashSet<>(knownParkedKeys());
            keys.add(park.event().aggregateId());
            parkedKeys = keys;
        }
        LOG.warn(
                "{} parked seq {} (key '{}') after {} failed attempts; re-drive it with"
                        + " relay.deadLetters().redrive(\"{}\", {})",
                part,
                seq,
                park.event().aggregateId(),
                park.attempts(),
                consumer.name(),
                seq);
    }

    /** Records the failure the consumer is in on its row, for status(). */
    private void record(Throwable failure, @Nullable Long blockedSeq, boolean waiting) throws SQLException {
        // Marked before the write: a write that committed although its connection died before the
        // answer came leaves the row showing the failure, and the next success must clear it.
        failureInRow = true;
        waitingInRow |= waiting;
        lease.recordFailure(failure, blockedSeq, waiting);
        waitingInRow = waiting;
        recordedFailure = failure;
    }

    /** What a handler's failure means: the handler's downstream, a deadlock, or the event. */
    private FailureTracker.Kind kindOf(Throwable cause) {
        if (Failures.find(cause, DownstreamUnavailableException.class) != null
                || Failures.is(cause, SqlFailure.CONNECTION, context.dialect)) {
            return FailureTracker.Kind.DOWNSTREAM;
        }
        return Failures.is(cause, SqlFailure.TRANSIENT, context.dialect)
                ? FailureTracker.Kind.TRANSIENT
                : FailureTracker.Kind.HANDLER;
    }
}
