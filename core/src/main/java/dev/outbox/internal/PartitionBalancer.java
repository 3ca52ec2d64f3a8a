package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.CONSUMER;
import static dev.outbox.internal.OutboxSql.HEARTBEAT_AT;
import static dev.outbox.internal.OutboxSql.LEASE_UNTIL;
import static dev.outbox.internal.OutboxSql.NAME;
import static dev.outbox.internal.OutboxSql.NEXT_SEQ;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.Lock;
import java.util.function.BooleanSupplier;
import org.jooq.Field;
import org.jooq.Param;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shares the partitions of a relay's split consumers with the other relays that serve them, from a
 * thread of its own ({@code outbox-balancer}). Every third of the lease, with jitter, one cycle of
 * three statements:
 *
 * <ol>
 *   <li>a heartbeat on the relay's rows in the relay table, one row per split consumer: the members
 *       among which a consumer's partitions are shared are the relays whose heartbeat is younger
 *       than a lease;
 *   <li>every lease this relay instance holds renewed in one statement, so the idle cost does not
 *       grow with partitions (a partition whose renewal is late renews its own lease before its next
 *       batch, and no batch starts later than half a lease after a renewal that succeeded); a row
 *       that a transactional batch of this relay holds locked is left out, since the statement
 *       would wait for the handler while the leases after it expire, and so is a lease that may
 *       have expired (another relay may have taken the row and lock it in its batch): its loop
 *       renews it alone;
 *   <li>the rows of every consumer the relay serves read in one statement (a loop whose lease the
 *       bulk renewal keeps hears from it of a re-drive asked for through another process), and per
 *       split consumer the rule applied: a relay's share
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
    /** Every consumer's loops, split or not, by consumer, in partition order: the rows the cycle reads. */
    private final Map<String, List<ConsumerWorker>> served = new LinkedHashMap<>();

    private final List<ConsumerWorker> all;
    private final BooleanSupplier logWakeupsArrive;
    private final Random random = new Random();

    private final Param<String> consumer = param("consumer", String.class);
    private final Param<String> relayId = param("relay_id", String.class);
    private final Param<Long> offsetMillis = param("offset_ms", Long.class);
    /** The served consumers' names, in {@link #served}'s order: one parameter each. */
    private final List<Param<String>> consumers = new ArrayList<>();

    private final Statement join;
    private final Statement heartbeat;
    private final Statement leave;
    private final Statement forgetStale;
    private final Statement assignment;

    private long nextCycleNanos;
    private long cycles;
    private long lastHead = -1;
    private long lastHeadNanos;

    /** A partition's row as the balancer reads it. */
    private record Assigned(int number, @Nullable String ownerInstance, boolean live, long members, boolean redrive) {}

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
        for (ConsumerWorker worker : all) {
            served.computeIfAbsent(worker.partition().consumer(), name -> new ArrayList<>())
                    .add(worker);
        }
        this.lastHeadNanos = System.nanoTime() - context.options.pollCeiling().toNanos(); // a watch is due
        OutboxSql sql = context.sql;
        join = sql.render(insertInto(sql.relay, CONSUMER, RELAY_ID, HEARTBEAT_AT)
                .values(consumer, relayId, sql.now())
                .onDuplicateKeyIgnore());
        heartbeat = sql.render(update(sql.relay).set(HEARTBEAT_AT, sql.now()).where(RELAY_ID.eq(relayId)));
        leave = sql.render(deleteFrom(sql.relay).where(RELAY_ID.eq(relayId)));
        forgetStale = sql.render(
                deleteFrom(sql.relay).where(CONSUMER.eq(consumer)).and(HEARTBEAT_AT.lt(sql.nowPlus(offsetMillis))));
        // Every served consumer's rows with their members, and the log's head, in one read: a row is
        // free when no lease on it is live.
        Field<String> rowName = field(sql.consumer.getQualifiedName().append(NAME.getName()), String.class);
        Field<Integer> rowPartition =
                field(sql.consumer.getQualifiedName().append(PARTITION_NO.getName()), Integer.class);
        Field<Integer> live = when(LEASE_UNTIL.ge(sql.now()), inline(1)).otherwise(inline(0));
        Field<Integer> members = field(select(count())
                .from(sql.relay)
                .where(CONSUMER.eq(rowName))
                .and(HEARTBEAT_AT.ge(sql.nowPlus(offsetMillis))));
        // Whether a re-drive of the partition was asked for (by any process): its loop, which no
        // renewal of its own wakes any more (the bulk renewal keeps its lease), looks at its letters.
        Field<Integer> redriveAsked = when(
                        exists(selectOne()
                                .from(sql.deadLetter)
                                .where(CONSUMER.eq(rowName))
                                .and(PARTITION_NO.eq(rowPartition))
                                .and(STATUS.eq(inline(DeadLetter.Status.REDRIVE_REQUESTED.name())))),
                        inline(1))
                .otherwise(inline(0));
        Field<Long> head = field(select(NEXT_SEQ.minus(inline(1L)))
                .from(sql.sequencer)
                .where(NAME.eq(inline(OutboxSql.SEQUENCER_NAME))));
        for (int i = 0; i < served.size(); i++) {
            consumers.add(param("consumer_" + i, String.class));
        }
        assignment = sql.render(select(NAME, PARTITION_NO, OWNER_INSTANCE, live, members, redriveAsked, head)
                .from(sql.consumer)
                .where(NAME.in(consumers)));
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(join, heartbeat, leave, forgetStale, assignment);
    }

    @Override
    protected Duration step() throws SQLException {
        startup.ensure();
        if (System.nanoTime() - nextCycleNanos >= 0) {
            cycle();
            long third = context.options.leaseDuration().toNanos() / 3;
            nextCycleNanos = System.nanoTime() + third - (long) (random.nextDouble() * third / 4); // jitter
        }
        long untilCycle = Math.max(1, nextCycleNanos - System.nanoTime());
        if (!watchingTheHead()) {
            lastHead = -1;
            return Duration.ofNanos(untilCycle);
        }
        long ceiling = context.options.pollCeiling().toNanos();
        if (System.nanoTime() - lastHeadNanos >= ceiling) {
            sawHead(context.withConnection(context.consumers::head));
        }
        return Duration.ofNanos(Math.max(1, Math.min(untilCycle, lastHeadNanos + ceiling - System.nanoTime())));
    }

    /**
     * One cycle on one connection, three auto-committed statements whatever the relay's partitions:
     * the heartbeat, the renewal of every lease the loops hold, and one read of every served
     * consumer's rows (which also tells the log's head).
     *
     * <p>The renewal names its rows by primary key, so that it locks only this relay's rows: a scan
     * of the table (InnoDB in REPEATABLE READ locks each row a scan reads) waited for the row of a
     * batch another relay ran, and one frozen mid-batch held every other relay's balancer still. For
     * the same reason it leaves out the rows it would wait for ({@link #renewHeld}).
     */
    private void cycle() throws SQLException {
        long started = System.nanoTime();
        List<ConsumerWorker> renewed = new ArrayList<>();
        Map<String, List<Assigned>> rows = context.withConnection(connection -> {
            heartbeat(connection);
            renewed.addAll(renewHeld(connection));
            return readAssignment(connection);
        });
        // A lease lost meanwhile is found by its loop's own renewal.
        for (ConsumerWorker worker : renewed) {
            worker.lease().renewedInBulk(started);
        }
        for (Map.Entry<String, List<ConsumerWorker>> entry : served.entrySet()) {
            List<Assigned> read = rows.getOrDefault(entry.getKey(), List.of());
            tellOfReDrives(entry.getValue(), read);
            if (split.containsKey(entry.getKey())) {
                balance(entry.getKey(), entry.getValue(), read);
            }
        }
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
     * Renews every lease the loops hold in one statement, but those whose rows a batch of this relay
     * holds locked (the statement would wait for the handler) and those that may have expired
     * (another relay may hold the row, locked in a batch of its own: their loops renew them alone);
     * returns the loops whose leases count as renewed: all it named when it found exactly those,
     * none otherwise.
     */
    private List<ConsumerWorker> renewHeld(Connection connection) throws SQLException {
        Lock gate = context.bulkRenewal.writeLock();
        gate.lock();
        try {
            List<ConsumerWorker> renewing = new ArrayList<>();
            for (ConsumerWorker worker : all) {
                if (worker.lease().renewableInBulk()) {
                    renewing.add(worker);
                } else if (worker.lease().mayHaveExpired()) {
                    worker.recheckLease(); // another relay may hold it: renewed alone, not here
                }
            }
            List<Partition> partitions =
                    renewing.stream().map(ConsumerWorker::partition).toList();
            int found = context.consumers.renewHeld(connection, context.instance, partitions, context.leaseMillis());
            return found == partitions.size() ? renewing : List.of();
        } finally {
            gate.unlock();
        }
    }

    private Map<String, List<Assigned>> readAssignment(Connection connection) throws SQLException {
        Map<String, List<Assigned>> rows = new HashMap<>();
        try (Statement.Bound select = assignment.bind(connection)) {
            select.setLong(offsetMillis, -context.leaseMillis());
            int i = 0;
            for (String name : served.keySet()) {
                select.setString(consumers.get(i++), name);
            }
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    rows.computeIfAbsent(rs.getString(1), name -> new ArrayList<>())
                            .add(new Assigned(
                                    rs.getInt(2),
                                    rs.getString(3),
                                    rs.getInt(4) == 1,
                                    rs.getLong(5),
                                    rs.getInt(6) == 1));
                    sawHead(rs.getLong(7));
                }
            }
        }
        return rows;
    }

    /**
     * The bulk renewal keeps every loop's lease, so a loop hears of a re-drive asked for through
     * another process only from here.
     */
    private void tellOfReDrives(List<ConsumerWorker> loops, List<Assigned> rows) {
        for (Assigned row : rows) {
            if (row.redrive()
                    && row.live()
                    && row.number() < loops.size()
                    && context.instance.equals(row.ownerInstance())
                    && loops.get(row.number()).isOwner()) {
                loops.get(row.number()).deadLettersChanged();
            }
        }
    }

    private void balance(String name, List<ConsumerWorker> partitions, List<Assigned> rows) {
        List<Integer> mine = new ArrayList<>();
        List<Integer> free = new ArrayList<>();
        long members = 1;
        for (Assigned row : rows) {
            if (row.number() < 0 || row.number() >= partitions.size()) {
                continue; // a row past the declared count: refused at start
            }
            if (!row.live()) {
                free.add(row.number());
            } else if (context.instance.equals(row.ownerInstance())) {
                mine.add(row.number());
                ConsumerWorker worker = partitions.get(row.number());
                if (!worker.isOwner()) {
                    // this relay's lease, which its loop does not know it holds (a takeover whose
                    // commit it did not hear of): the loop takes it again
                    worker.askToTake();
                }
            }
            members = Math.max(1, row.members());
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

    /**
     * Whether this relay's split partitions depend on the balancer to hear that the log grew: they
     * hold leases, and neither this relay's sequencer nor the database's notifications wake them.
     */
    private boolean watchingTheHead() {
        return !logWakeupsArrive.getAsBoolean()
                && all.stream().anyMatch(w -> w.isOwner() && w.partition().isSplit());
    }

    /**
     * The log's head as just read: when it grew, the split partitions look at the log. The first
     * head read while watching wakes them too: the log may have grown since their last look, before
     * the watch began (a relay that took its first partitions, or stopped sequencing), and an idle
     * partition would otherwise sleep until its own look, leases away.
     */
    private void sawHead(long head) {
        if (head != lastHead && watchingTheHead()) {
            for (ConsumerWorker worker : all) {
                if (worker.partition().isSplit()) {
                    worker.wakeUp();
                }
            }
        }
        lastHead = head;
        lastHeadNanos = System.nanoTime();
    }

    @Override
    protected Map<String, String> logContext() {
        return Map.of(LogContext.RELAY, context.options.relayId());
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
