package dev.outbox.internal;

import dev.outbox.spi.Notifications;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
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
        if (!lastBatchFull && queueLooksEmpty()) {
            return 0;
        }
        int batchSize = context.options.sequencerBatchSize();
        int moved = context.inTransaction(connection -> {
            long nextSeq;
            try (NamedSql.Bound lock = context.sql.lockSequencer.prepare(connection)) {
                lock.set("name", OutboxSql.SEQUENCER_NAME);
                try (ResultSet rs = lock.statement().executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("the sequencer row is missing: run the migration");
                    }
                    nextSeq = rs.getLong(1);
                    if (!context.options.relayId().equals(rs.getString(2)) || rs.getLong(3) != epoch) {
                        return -1;
                    }
                }
            }
            long[] positions = queuedPositions(connection, batchSize);
            if (positions.length == 0) {
                return 0;
            }
            try (NamedSql.Bound insert = context.sql.moveToLog(positions).prepare(connection)) {
                int inserted = insert.set("first_seq", nextSeq).statement().executeUpdate();
                if (inserted != positions.length) {
                    throw new IllegalStateException("moved " + inserted + " rows to the log, expected "
                            + positions.length + ": another process changed the queue; batch rolled back");
                }
            }
            int deleted = deleteFromQueue(connection, positions);
            if (deleted != positions.length) {
                throw new IllegalStateException("deleted " + deleted + " rows from the queue, expected "
                        + positions.length + ": another process changed the queue; batch rolled back");
            }
            try (NamedSql.Bound advance = context.sql.advanceSequencer.prepare(connection)) {
                advance.set("next_seq", nextSeq + positions.length)
                        .set("lease_ms", context.leaseMillis())
                        .set("name", OutboxSql.SEQUENCER_NAME)
                        .statement()
                        .executeUpdate();
            }
            if (notifications != null) {
                try (PreparedStatement notify = connection.prepareStatement(notifications.notifySql())) {
                    notify.setString(1, LocalWakeups.channel(context.sql.tables()));
                    notify.setString(2, "log");
                    notify.execute();
                }
            }
            return positions.length;
        });
        if (moved >= 0) {
            lastBatchFull = moved == batchSize;
            if (moved > 0) {
                lastRenewalNanos = System.nanoTime();
            }
        }
        return moved;
    }

    /** Deletes the moved rows, exactly those; returns how many were deleted. */
    private int deleteFromQueue(Connection connection, long[] positions) throws SQLException {
        if (!context.dialect.lockingRangeScansReadPastTheirEnd()) {
            try (NamedSql.Bound delete = context.sql.deleteFromQueue(positions).prepare(connection)) {
                return delete.statement().executeUpdate();
            }
        }
        int deleted = 0;
        try (NamedSql.Bound delete = context.sql.deleteRunFromQueue.prepare(connection)) {
            int start = 0;
            for (int i = 1; i <= positions.length; i++) {
                if (i == positions.length || positions[i] != positions[i - 1] + 1) {
                    delete.set("first", positions[start])
                            .set("last", positions[i - 1])
                            .set("count", i - start)
                            .statement()
                            .addBatch();
                    start = i;
                }
            }
            for (int count : delete.statement().executeBatch()) {
                deleted += count;
            }
        }
        return deleted;
    }

    private boolean queueLooksEmpty() throws SQLException {
        return context.withConnection(connection -> {
            try (NamedSql.Bound probe = context.sql.probeQueue.prepare(connection);
                    ResultSet rs = probe.statement().executeQuery()) {
                return !rs.next();
            }
        });
    }

    private long[] queuedPositions(Connection connection, int batchSize) throws SQLException {
        try (NamedSql.Bound select = context.sql.selectQueuedPositions.prepare(connection)) {
            select.set("batch", batchSize);
            select.statement().setFetchSize(batchSize);
            long[] positions = new long[batchSize];
            int count = 0;
            try (ResultSet rs = select.statement().executeQuery()) {
                while (rs.next()) {
                    positions[count++] = rs.getLong(1);
                }
            }
            return count == batchSize ? positions : Arrays.copyOf(positions, count);
        }
    }

    private boolean tryTakeOver() throws SQLException {
        boolean tookOver = context.inTransaction(connection -> {
            try (NamedSql.Bound lock = context.sql.lockSequencerForTakeover.prepare(connection)) {
                lock.set("name", OutboxSql.SEQUENCER_NAME);
                try (ResultSet rs = lock.statement().executeQuery()) {
                    if (!rs.next()) {
                        return false; // locked by the sequencing relay's batch, so it is alive
                    }
                    String holder = rs.getString(1);
                    long currentEpoch = rs.getLong(2);
                    boolean expired = rs.getInt(3) == 1;
                    if (holder != null && !expired) {
                        if (holder.equals(context.options.relayId())) {
                            ownId.seen(rs.getObject(4) == null ? null : context.dialect.readInstant(rs, 4));
                        }
                        return false;
                    }
                    epoch = currentEpoch + 1;
                }
            }
            try (NamedSql.Bound takeOver = context.sql.takeOverSequencer.prepare(connection)) {
                takeOver.set("holder", context.options.relayId())
                        .set("epoch", epoch)
                        .set("lease_ms", context.leaseMillis())
                        .set("name", OutboxSql.SEQUENCER_NAME)
                        .statement()
                        .executeUpdate();
            }
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
        boolean renewed = context.withConnection(connection -> {
            try (NamedSql.Bound renew = context.sql.renewSequencer.prepare(connection)) {
                return renew.set("lease_ms", context.leaseMillis())
                                .set("name", OutboxSql.SEQUENCER_NAME)
                                .set("holder", context.options.relayId())
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

    @Override
    protected void release() {
        if (!leader) {
            return;
        }
        leader = false;
        try {
            context.withConnection(connection -> {
                try (NamedSql.Bound release = context.sql.releaseSequencer.prepare(connection)) {
                    return release.set("name", OutboxSql.SEQUENCER_NAME)
                            .set("holder", context.options.relayId())
                            .set("epoch", epoch)
                            .statement()
                            .executeUpdate();
                }
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
