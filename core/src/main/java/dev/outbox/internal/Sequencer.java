package dev.outbox.internal;

import dev.outbox.spi.Notifications;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the queue into the log: one transaction per batch that locks the sequencer row, reads the
 * visible queued rows in position order, gives them the next seqs, moves them to the log and
 * advances {@code next_seq}.
 *
 * <p>Correctness rests on the row lock alone: batches of any number of relays are serialized by it,
 * so seq is gap-free and every batch sees the rows of the batches before it. The lease on top (holder,
 * epoch, lease_until) only keeps standby relays from contending for the lock: one relay sequences,
 * the others check every third of a lease whether it expired.
 *
 * <p>Runs on its own thread ({@code outbox-sequencer}); not thread-safe otherwise.
 */
final class Sequencer extends RelayLoop {

    private static final Logger LOG = LoggerFactory.getLogger(Sequencer.class);

    private final RelayContext context;
    private final SequencerSql statements;
    private final StartupCheck startup;
    private final OwnIdWatch ownId;
    private final Runnable afterBatch;
    private final Backoff idlePolls;
    private final @Nullable Notifications notifications;
    private final Retention retention;
    private volatile boolean leader;
    private long epoch;
    private long lastRenewalNanos;
    private boolean lastBatchFull;

    Sequencer(RelayContext context, RelayProblems problems, StartupCheck startup, Runnable afterBatch) {
        super(new FailureLog(
                LOG,
                "sequencer of "
                        + context.sql.tables().qualified(context.sql.tables().eventTable()),
                "sequencer",
                context.dialect,
                problems));
        this.context = context;
        this.statements = new SequencerSql(context.sql);
        this.startup = startup;
        this.ownId = new OwnIdWatch("the sequencer", context.options.relayId(), problems);
        this.afterBatch = afterBatch;
        this.idlePolls = new Backoff(context.options.pollFloor(), context.options.pollCeiling());
        this.notifications = context.options.listenForNotifications() ? context.dialect.notifications() : null;
        this.retention = new Retention(context);
    }

    boolean isLeader() {
        return leader;
    }

    /** Wakes the loop: events may be waiting. */
    void wakeUp() {
        wakeUp.signal();
    }

    @Override
    protected Duration step() throws SQLException {
        startup.ensure();
        if (!leader) {
            if (!tryTakeOver()) {
                return standbyInterval();
            }
            LOG.info("relay {} now sequences (epoch {})", context.options.relayId(), epoch);
            lastBatchFull = true; // read at once, without probing
        }
        int moved = moveBatch();
        if (moved < 0) {
            leader = false;
            LOG.warn("relay {} lost the sequencer lease to another relay", context.options.relayId());
            return Duration.ZERO;
        }
        if (moved > 0) {
            afterBatch.run();
            idlePolls.reset();
            retention.runIfDue(); // under steady load the queue may never be empty
            return lastBatchFull ? Duration.ZERO : context.options.pollFloor();
        }
        if (renewalDue() && !renew()) {
            leader = false;
            LOG.warn("relay {} lost the sequencer lease to another relay", context.options.relayId());
            return Duration.ZERO;
        }
        retention.runIfDue();
        return idlePolls.next();
    }

    private Duration standbyInterval() {
        return context.options.leaseDuration().dividedBy(3);
    }

    private boolean renewalDue() {
        return System.nanoTime() - lastRenewalNanos
                > context.options.leaseDuration().toNanos() / 3;
    }

    /**
     * One batch. Returns the number of events moved, or -1 if another relay holds the lease now.
     */
    private int moveBatch() throws SQLException {
        if (!lastBatchFull && context.withConnection(statements::queueLooksEmpty)) {
            return 0;
        }
        int batchSize = context.options.sequencerBatchSize();
        long began = System.nanoTime();
        int moved = context.inTransaction(connection -> {
            SequencerSql.Locked row = statements.lock(connection);
            if (!context.options.relayId().equals(row.holder()) || row.epoch() != epoch) {
                return -1;
            }
            long[] positions = statements.queuedPositions(connection, batchSize);
            if (positions.length == 0) {
                return 0;
            }
            List<long[]> runs = SequencerSql.runs(positions); // named by both statements
            int inserted = statements.moveToLog(connection, runs, row.nextSeq());
            if (inserted != positions.length) {
                throw new IllegalStateException("moved " + inserted + " rows to the log, expected " + positions.length
                        + ": another process changed the queue; batch rolled back");
            }
            int deleted = statements.deleteFromQueue(connection, runs);
            if (deleted != positions.length) {
                throw new IllegalStateException("deleted " + deleted + " rows from the queue, expected "
                        + positions.length + ": another process changed the queue; batch rolled back");
            }
            statements.advance(connection, row.nextSeq() + positions.length, context.leaseMillis());
            if (notifications != null) {
                statements.notifyConsumers(connection, notifications);
            }
            return positions.length;
        });
        if (moved >= 0) {
            lastBatchFull = moved == batchSize;
            if (moved > 0) {
                lastRenewalNanos = System.nanoTime();
                context.listeners.sequenced(moved, Duration.ofNanos(lastRenewalNanos - began));
            }
        }
        return moved;
    }

    private boolean tryTakeOver() throws SQLException {
        String relayId = context.options.relayId();
        // A look first, outside a transaction: a standby's check of a live lease is one statement.
        SequencerSql.Holder seen = context.withConnection(statements::peekHolder);
        if (seen != null && seen.holder() != null && !seen.expired()) {
            if (seen.holder().equals(relayId)) {
                ownId.seen(seen.leaseUntil());
            }
            return false;
        }
        boolean tookOver = context.inTransaction(connection -> {
            SequencerSql.Holder row = statements.lockForTakeover(connection);
            if (row == null) {
                return false; // locked by the sequencing relay's batch, so it is alive
            }
            if (row.holder() != null && !row.expired()) {
                if (row.holder().equals(relayId)) {
                    ownId.seen(row.leaseUntil());
                }
                return false;
            }
            epoch = row.epoch() + 1;
            statements.takeOver(connection, relayId, epoch, context.leaseMillis());
            return true;
        });
        if (tookOver) {
            ownId.taken();
            leader = true;
            lastRenewalNanos = System.nanoTime();
        }
        return tookOver;
    }

    private boolean renew() throws SQLException {
        boolean renewed = context.withConnection(
                connection -> statements.renew(connection, context.options.relayId(), epoch, context.leaseMillis()));
        if (renewed) {
            lastRenewalNanos = System.nanoTime();
        }
        return renewed;
    }

    @Override
    protected Map<String, String> logContext() {
        return Map.of(LogContext.RELAY, context.options.relayId());
    }

    @Override
    protected void release() {
        if (!leader) {
            return;
        }
        leader = false;
        try {
            context.withConnection(connection -> {
                statements.release(connection, context.options.relayId(), epoch);
                return null;
            });
            LOG.info("relay {} released the sequencer lease", context.options.relayId());
        } catch (Throwable e) {
            LOG.warn(
                    "relay {} could not release the sequencer lease; it expires by itself",
                    context.options.relayId(),
                    e);
        }
    }
}
