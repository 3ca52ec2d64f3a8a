package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.CONSUMER;
import static dev.outbox.internal.OutboxSql.HEARTBEAT_AT;
import static dev.outbox.internal.OutboxSql.LEASE_UNTIL;
import static dev.outbox.internal.OutboxSql.NAME;
import static dev.outbox.internal.OutboxSql.OWNER_INSTANCE;
import static dev.outbox.internal.OutboxSql.PARTITION_NO;
import static dev.outbox.internal.OutboxSql.RELAY_ID;
import static dev.outbox.internal.OutboxSql.STATUS;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.deleteFrom;
import static org.jooq.impl.DSL.exists;
import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.insertInto;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.selectOne;
import static org.jooq.impl.DSL.update;
import static org.jooq.impl.DSL.when;

import dev.outbox.DeadLetter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.jooq.Field;
import org.jooq.Param;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shares the partitions of a relay's split consumers with the other relays that serve them, from a
 * thread of its own ({@code outbox-balancer}). Every third of the lease, with jitter, one cycle:
 *
 * <ol>
 *   <li>a heartbeat on the relay's rows in the relay table, one row per split consumer: the members
 *       among which a consumer's partitions are shared are the relays whose heartbeat is younger
 *       than a lease;
 *   <li>every lease this relay instance holds renewed in one statement, so the idle cost does not
 *       grow with partitions (a partition whose renewal is late renews its own lease before its next
 *       batch, and no batch starts later than half a lease after a renewal that succeeded);
 *   <li>per split consumer, its rows read in one statement, and the rule applied: a relay's share
 *       is {@code ceil(P / members)}; below it, it asks its partitions' loops to take free or
 *       expired partitions (their takeover skips a row locked by a live owner's batch), chosen at
 *       random; above it, it asks at most {@link #MOST_RELEASES_PER_CYCLE} of them to give their
 *       lease up after their batch in flight. It never takes a partition a live relay holds: a relay
 *       that joins announces itself, and the owners over their share hand partitions over.
 * </ol>
 *
 * <p>Between cycles, when this relay neither sequences nor hears the database's notifications, it
 * watches the log's head for the partitions it holds (one read per poll ceiling) and wakes them when
 * the log grew: partitions do not poll on their own.
 */
final class PartitionBalancer extends RelayLoop {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionBalancer.class);

    /** Most partitions a relay over its share gives up per cycle, so that a rolling restart moves few. */
    static final int MOST_RELEASES_PER_CYCLE = 2;

    /** Relay rows without a heartbeat for this many leases are removed (relays that crashed). */
    private static final int STALE_LEASES = 10;

    private final RelayContext context;
    private final StartupCheck startup;
    private final Map<String, List<ConsumerWorker>> split;
    private final List<ConsumerWorker> all;
    private final BooleanSupplier logWakeupsArrive;
    private final Random random = new Random();

    private final Param<String> consumer = param("consumer", String.class);
    private final Param<String> relayId = param("relay_id", String.class);
    private final Param<Long> offsetMillis = param("offset_ms", Long.class);
    private final Statement join;
    private final Statement heartbeat;
    private final Statement leave;
    private final Statement forgetStale;
    private final Statement assignment;

    private long nextCycleNanos;
    private long cycles;
    private long lastHead = -1;

    /**
     * @param split the loops of every partition of each split consumer, by consumer, in partition order
     * @param all every consumer loop of the relay, split or not: the leases one statement renews
     * @param logWakeupsArrive whether this relay's loops are woken when the log grows (it sequences,
     *     or it listens to the database's notifications)
     */
    PartitionBalancer(
            RelayContext context,
            RelayProblems problems,
            StartupCheck startup,
            Map<String, List<ConsumerWorker>> split,
            List<ConsumerWorker> all,
            BooleanSupplier logWakeupsArrive) {
        super(new FailureLog(LOG, "partition balancer", "partition balancer", context.dialect, problems));
        this.context = context;
        this.startup = startup;
        this.split = split;
        this.all = all;
        this.logWakeupsArrive = logWakeupsArrive;
        OutboxSql sql = context.sql;
        join = sql.render(insertInto(sql.relay, CONSUMER, RELAY_ID, HEARTBEAT_AT)
                .values(consumer, relayId, sql.now())
                .onDuplicateKeyIgnore());
        heartbeat = sql.render(update(sql.relay).set(HEARTBEAT_AT, sql.now()).where(RELAY_ID.eq(relayId)));
        leave = sql.render(deleteFrom(sql.relay).where(RELAY_ID.eq(relayId)));
        forgetStale = sql.render(
                deleteFrom(sql.relay).where(CONSUMER.eq(consumer)).and(HEARTBEAT_AT.lt(sql.nowPlus(offsetMillis))));
        // A consumer's rows and its members, in one read: a row is free when no lease on it is live.
        Field<Integer> live = when(LEASE_UNTIL.ge(sql.now()), inline(1)).otherwise(inline(0));
        Field<Integer> members = field(select(count())
                .from(sql.relay)
                .where(CONSUMER.eq(consumer))
                .and(HEARTBEAT_AT.ge(sql.nowPlus(offsetMillis))));
        // Whether a re-drive of the partition was asked for (by any process): its loop, which no
        // renewal of its own wakes any more (the bulk renewal keeps its lease), looks at its letters.
        Field<Integer> redriveAsked = when(
                        exists(selectOne()
                                .from(sql.deadLetter)
                                .where(CONSUMER.eq(
                                        field(sql.consumer.getQualifiedName().append(NAME.getName()), String.class)))
                                .and(PARTITION_NO.eq(field(
                                        sql.consumer.getQualifiedName().append(PARTITION_NO.getName()), Integer.class)))
                                .and(STATUS.eq(inline(DeadLetter.Status.REDRIVE_REQUESTED.name())))),
                        inline(1))
                .otherwise(inline(0));
        assignment = sql.render(select(PARTITION_NO, OWNER_INSTANCE, live, members, redriveAsked)
                .from(sql.consumer)
                .where(NAME.eq(consumer)));
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(join, heartbeat, leave, forgetStale, assignment);
    }

    @Override
    protected Duration step() throws SQLException {
        startup.ensure();
        long now = System.nanoTime();
        if (now - nextCycleNanos >= 0) {
            cycle();
            long third = context.options.leaseDuration().toNanos() / 3;
            nextCycleNanos = now + third - (long) (random.nextDouble() * third / 4); // jitter
        }
        long untilCycle = Math.max(1, nextCycleNanos - System.nanoTime());
        if (logWakeupsArrive.getAsBoolean()
                || all.stream().noneMatch(w -> w.isOwner() && w.partition().isSplit())) {
            lastHead = -1;
            return Duration.ofNanos(untilCycle);
        }
        watchHead();
        return Duration.ofNanos(
                Math.min(untilCycle, context.options.pollCeiling().toNanos()));
    }

    private void cycle() throws SQLException {
        context.withConnection(connection -> {
            heartbeat(connection);
            return null;
        });
        // READ COMMITTED: the renewal scans every consumer row, and on InnoDB in REPEATABLE READ it
        // waited for each row it read that another relay's running transactional batch holds (one
        // frozen mid-batch held every other relay's balancer still); in READ COMMITTED a locked row
        // of another relay instance is read as last committed and passed.
        context.inTransaction(connection -> {
            renewAll(connection);
            return null;
        });
        context.withConnection(connection -> {
            for (Map.Entry<String, List<ConsumerWorker>> entry : split.entrySet()) {
                balance(connection, entry.getKey(), entry.getValue());
            }
            return null;
        });
        cycles++;
    }

    private void heartbeat(Connection connection) throws SQLException {
        int beating;
        try (Statement.Bound update = heartbeat.bind(connection).setString(relayId, context.options.relayId())) {
            beating = update.executeUpdate();
        }
        if (beating < split.size()) {
            for (String name : split.keySet()) {
                try (Statement.Bound insert =
                        join.bind(connection).setString(consumer, name).setString(relayId, context.options.relayId())) {
                    insert.executeUpdate();
                }
            }
        }
        if (cycles % STALE_LEASES == 0) {
            long stale = STALE_LEASES * context.leaseMillis();
            for (String name : split.keySet()) {
                try (Statement.Bound delete =
                        forgetStale.bind(connection).setString(consumer, name).setLong(offsetMillis, -stale)) {
                    delete.executeUpdate();
                }
            }
        }
    }

    /**
     * Renews every lease of this relay instance in one statement. Only when it renewed exactly the
     * leases the loops hold, before and after, do they count as renewed: a lease lost meanwhile is
     * found by its loop's own renewal.
     */
    private void renewAll(Connection connection) throws SQLException {
        long started = System.nanoTime();
        long heldBefore = held();
        int renewed = context.consumers.renewAll(connection, context.instance, context.leaseMillis());
        if (renewed == heldBefore && held() == heldBefore) {
            for (ConsumerWorker worker : all) {
                worker.lease().renewedInBulk(started);
            }
        }
    }

    private long held() {
        return all.stream().filter(ConsumerWorker::isOwner).count();
    }

    private void balance(Connection connection, String name, List<ConsumerWorker> partitions) throws SQLException {
        List<Integer> mine = new ArrayList<>();
        List<Integer> free = new ArrayList<>();
        long members = 1;
        try (Statement.Bound select = assignment
                        .bind(connection)
                        .setString(consumer, name)
                        .setLong(offsetMillis, -context.leaseMillis());
                ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                int number = rs.getInt(1);
                if (number < 0 || number >= partitions.size()) {
                    continue; // a row past the declared count: refused at start
                }
                boolean live = rs.getInt(3) == 1;
                if (!live) {
                    free.add(number);
                } else if (context.instance.equals(rs.getString(2))) {
                    mine.add(number);
                    if (!partitions.get(number).isOwner()) {
                        // this relay's lease, which its loop does not know it holds (a takeover whose
                        // commit it did not hear of): the loop takes it again
                        partitions.get(number).askToTake();
                    } else if (rs.getInt(5) == 1) {
                        partitions.get(number).deadLettersChanged();
                    }
                }
                members = Math.max(1, rs.getLong(4));
            }
        }
        int count = partitions.size();
        long share = (count + members - 1) / members;
        if (mine.size() > share) {
            Collections.shuffle(mine, random);
            long surplus = Math.min(mine.size() - share, MOST_RELEASES_PER_CYCLE);
            for (int i = 0; i < surplus; i++) {
                partitions.get(mine.get(i)).askToRelease();
            }
            LOG.debug(
                    "consumer '{}': {} of {} partitions here, share {}; releasing {}",
                    name,
                    mine.size(),
                    count,
                    share,
                    surplus);
        } else if (mine.size() < share && !free.isEmpty()) {
            Collections.shuffle(free, random);
            long wanted = Math.min(share - mine.size(), free.size());
            for (int i = 0; i < wanted; i++) {
                partitions.get(free.get(i)).askToTake();
            }
        }
    }

    private void watchHead() throws SQLException {
        long head = context.withConnection(context.consumers::head);
        if (lastHead >= 0 && head != lastHead) {
            for (ConsumerWorker worker : all) {
                if (worker.partition().isSplit()) {
                    worker.wakeUp();
                }
            }
        }
        lastHead = head;
    }

    @Override
    protected void release() {
        try {
            context.withConnection(connection -> {
                try (Statement.Bound delete = leave.bind(connection).setString(relayId, context.options.relayId())) {
                    return delete.executeUpdate();
                }
            });
        } catch (Throwable e) {
            LOG.warn(
                    "relay {}: could not remove its relay rows; they go stale by themselves",
                    context.options.relayId(),
                    e);
        }
    }
}
