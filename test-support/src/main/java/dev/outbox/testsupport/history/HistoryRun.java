package dev.outbox.testsupport.history;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.Await;
import dev.outbox.testkit.database.RestartableDatabase;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testkit.history.CheckReport;
import dev.outbox.testkit.history.DatabaseState;
import dev.outbox.testkit.history.Fault;
import dev.outbox.testkit.history.FaultyConsumer;
import dev.outbox.testkit.history.HandlerFaults;
import dev.outbox.testkit.history.History;
import dev.outbox.testkit.history.HistoryChecker;
import dev.outbox.testkit.history.HistoryClock;
import dev.outbox.testsupport.database.PooledTestSchema;
import dev.outbox.testsupport.faults.RelayProcess;
import dev.outbox.testsupport.faults.SessionTrackingDataSource;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jooq.SQLDialect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One history run: a fresh schema, the {@link Workload}, two relays in this JVM, faults injected in
 * turn while the workload runs, a drain, and the {@link HistoryChecker}'s verdict.
 *
 * <p>Faults, each kind in turn, {@link RunOptions#faultInterval()} apart:
 *
 * <ol>
 *   <li>the sequencing relay closed, a new one started;
 *   <li>the relays' sessions killed from the server side;
 *   <li>the relays in this JVM closed, a relay started in another JVM; once it owns the work, a
 *       standby relay here; then the other JVM killed with SIGKILL while a batch is in its
 *       at-least-once handler; the standby must take over;
 *   <li>when the database is a {@link RestartableDatabase}: the server crashed and started again.
 * </ol>
 *
 * <p>With {@link RunOptions#relayProcesses()} relays in child JVMs instead, sharing the partitions
 * of the projection and the recorder, each fault in turn: one process killed with SIGKILL in the
 * middle of a batch and a new one joining; the process serving the most partitions frozen with
 * SIGSTOP until the others serve them all, then resumed; a rolling restart (each stopped with
 * SIGTERM and replaced). The takeover times and the partitions moved go into the summary.
 *
 * <p>Every wait is bounded and fails with what it waited for. Not thread-safe: one run per instance.
 */
public final class HistoryRun {

    private static final Logger LOG = LoggerFactory.getLogger(HistoryRun.class);
    private static final Duration TAKEOVER_TIMEOUT = Duration.ofSeconds(90);

    /** Where relay processes' output is kept, relative to the working directory (a module's). */
    private static final Path OUTPUT = Paths.get("target", "outbox-history");

    private final TestDatabase database;
    private final OutboxDialect dialect;
    private final RunOptions options;
    private final History history = new History();
    private final List<OutboxRelay> relays = new CopyOnWriteArrayList<>();
    private final Map<OutboxRelay, String> relayIds = new ConcurrentHashMap<>();
    private final Map<Fault.Kind, Integer> faultCounts = new EnumMap<>(Fault.Kind.class);
    private final AtomicInteger relayNumber = new AtomicInteger();
    private PooledTestSchema schema;
    private HistorySchema historySchema;
    private HikariDataSource relayPool;
    private SessionTrackingDataSource trackedRelayPool;
    private Workload workload;
    private HandlerFaults handlerFaults = HandlerFaults.none();
    private List<String> consumers = HistoryRelays.CONSUMERS;
    private DeadLetterOperator operator;
    private final List<RelayProcess> processes = new CopyOnWriteArrayList<>();
    /** What the relay processes' faults measured, for the summary. */
    private final List<String> processFigures = new ArrayList<>();

    private HistoryRun(TestDatabase database, OutboxDialect dialect, RunOptions options) {
        this.database = Objects.requireNonNull(database, "database");
        this.dialect = Objects.requireNonNull(dialect, "dialect");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Runs a history on {@code database} and returns the verdict; the schema is dropped after. */
    public static RunResult run(TestDatabase database, OutboxDialect dialect, RunOptions options) throws Exception {
        return new HistoryRun(database, dialect, options).run();
    }

    private RunResult run() throws Exception {
        schema = PooledTestSchema.of(database.createSchema("history"));
        try {
            OutboxTables tables = schema.tables();
            OutboxMigrations.migrate(schema.dataSource(), tables);
            historySchema = new HistorySchema(dialect, tables);
            OutboxWriter writer = OutboxWriter.builder(dialect).tables(tables).build();
            workload = new Workload(schema.dataSource(), writer, historySchema, history, options.workload());
            historySchema.create(schema.dataSource(), workload.keys());
            if (options.handlerFaults()) {
                // a slow delivery outlives the lease: the lease keeper must keep a standby out
                handlerFaults =
                        HandlerFaults.seeded(options.seed(), options.lease().plusSeconds(1));
                history.handlerFaults(handlerFaults, FaultyConsumer.ALL);
                consumers = HistoryRelays.consumers(handlerFaults);
                operator = new DeadLetterOperator(
                        OutboxRelay.builder(schema.dataSource(), dialect)
                                .tables(tables)
                                .build(),
                        history,
                        FaultyConsumer.ALL,
                        options.seed());
            }
            relayPool = relayPool();
            trackedRelayPool = new SessionTrackingDataSource(relayPool);
            try {
                return runWorkload();
            } finally {
                if (operator != null) {
                    operator.close();
                }
                for (OutboxRelay relay : relays) {
                    closeRelay(relay);
                }
                for (RelayProcess process : List.copyOf(processes)) {
                    endProcess(process, true); // a failed run: its output is kept
                }
                relayPool.close();
            }
        } finally {
            schema.close();
        }
    }

    private RunResult runWorkload() throws Exception {
        if (options.relayProcesses() > 0) {
            for (int i = 0; i < options.relayProcesses(); i++) {
                startProcess();
            }
            awaitServedBy(liveProcesses(), "the first relay processes to start");
        } else {
            startRelay();
            startRelay();
            awaitOwner("the first relays to start");
        }
        long started = System.nanoTime();
        workload.start();
        LOG.info(
                "history run on {}: workload started ({}), faults every {}, handler faults {}",
                database.description(),
                options.workload(),
                options.faultInterval(),
                options.handlerFaults() ? "with seed " + options.seed() : "off");
        if (operator != null) {
            operator.start();
        }
        try {
            injectFaults(started);
        } finally {
            workload.stop();
        }
        long workloadNanos = System.nanoTime() - started;
        LOG.info("workload stopped after {} s; draining", TimeUnit.NANOSECONDS.toSeconds(workloadNanos));
        if (relays.isEmpty() && processes.isEmpty()) {
            startRelay();
        }
        long drainStarted = System.nanoTime();
        handlerFaults.heal(); // the fixes are deployed: poison events and outages end
        await(
                "every committed event sequenced and every consumer at the log's end",
                options.drainTimeout(),
                () -> historySchema.drained(schema.dataSource(), consumers));
        if (operator != null) {
            operator.close();
            operator.redriveEverything(historySchema, schema.dataSource(), options.drainTimeout());
            await(
                    "every dead letter re-driven and every consumer at the log's end",
                    options.drainTimeout(),
                    () -> historySchema.openDeadLetters(schema.dataSource()) == 0
                            && historySchema.drained(schema.dataSource(), consumers));
            // the status rows, read once everything was delivered, while the relays still run
            await("a status read", TAKEOVER_TIMEOUT, () -> {
                history.finalStatus(operator.sample());
                return true;
            });
        }
        long drainNanos = System.nanoTime() - drainStarted;
        for (OutboxRelay relay : relays) {
            closeRelay(relay);
        }
        for (RelayProcess process : List.copyOf(processes)) {
            endProcess(process, false);
        }
        DatabaseState state = historySchema.readState(schema.dataSource());
        CheckReport report = new HistoryChecker(options.partitions()).check(history, state);
        RunSummary summary = RunSummary.of(
                database.description(),
                options,
                history,
                state,
                report,
                faultCounts,
                workloadNanos,
                drainNanos,
                workload.failures(),
                operator == null ? "" : operator.summary(),
                String.join("; ", processFigures));
        return new RunResult(report, summary, history, state);
    }

    private void injectFaults(long startedNanos) throws Exception {
        List<Fault.Kind> kinds = new ArrayList<>();
        if (options.relayProcesses() > 0) {
            kinds.addAll(List.of(
                    Fault.Kind.RELAY_PROCESS_KILLED,
                    Fault.Kind.RELAY_PROCESS_PAUSED,
                    Fault.Kind.RELAYS_RESTARTED_IN_TURN));
        } else {
            kinds.addAll(List.of(
                    Fault.Kind.RELAY_STOPPED_AND_STARTED,
                    Fault.Kind.RELAY_CONNECTIONS_KILLED,
                    Fault.Kind.RELAY_PROCESS_KILLED));
            if (database instanceof RestartableDatabase) {
                kinds.add(Fault.Kind.SERVER_RESTARTED);
            }
        }
        kinds.retainAll(options.faults());
        if (kinds.isEmpty()) {
            TimeUnit.NANOSECONDS.sleep(
                    Math.max(0, startedNanos + options.duration().toNanos() - System.nanoTime()));
            return;
        }
        long deadline = startedNanos + options.duration().toNanos();
        int next = 0;
        while (System.nanoTime() < deadline || faultCounts.size() < kinds.size()) {
            // the workload runs undisturbed between faults
            TimeUnit.MILLISECONDS.sleep(options.faultInterval().toMillis());
            Fault.Kind kind = kinds.get(next++ % kinds.size());
            LOG.info("injecting {}", kind);
            switch (kind) {
                case RELAY_STOPPED_AND_STARTED -> stopAndStartRelay();
                case RELAY_CONNECTIONS_KILLED -> killRelaySessions();
                case RELAY_PROCESS_KILLED -> {
                    if (options.relayProcesses() > 0) {
                        killOneProcessAndJoinAnother();
                    } else {
                        killRelayProcess();
                    }
                }
                case SERVER_RESTARTED -> restartServer();
                case RELAY_PROCESS_PAUSED -> pauseOneProcess();
                case RELAYS_RESTARTED_IN_TURN -> restartProcessesInTurn();
                case RELAY_JOINED -> throw new IllegalStateException("a relay joins after a kill, not on its own");
            }
            faultCounts.merge(kind, 1, Integer::sum);
        }
    }

    private void stopAndStartRelay() {
        OutboxRelay active =
                relays.stream().filter(OutboxRelay::isSequencing).findFirst().orElse(relays.get(0));
        long start = HistoryClock.nowMicros();
        String stopped = relayIds.get(active);
        closeRelay(active);
        String started = startRelay();
        awaitOwner("a relay to take over from " + stopped);
        awaitProgress(start, "deliveries after " + stopped + " was closed");
        history.fault(new Fault(
                Fault.Kind.RELAY_STOPPED_AND_STARTED,
                start,
                HistoryClock.nowMicros(),
                "closed " + stopped + ", started " + started));
    }

    private void killRelaySessions() throws SQLException {
        long start = HistoryClock.nowMicros();
        List<Long> killed = trackedRelayPool.killSessions(schema.dataSource());
        awaitOwner("a relay to own the work again after its sessions were killed");
        awaitProgress(start, "deliveries after the relays' sessions were killed");
        history.fault(
                new Fault(Fault.Kind.RELAY_CONNECTIONS_KILLED, start, HistoryClock.nowMicros(), "sessions " + killed));
    }

    private void killRelayProcess() throws Exception {
        long handover = HistoryClock.nowMicros();
        List<String> closed = new ArrayList<>(relayIds.values());
        for (OutboxRelay relay : relays) {
            closeRelay(relay);
        }
        String relayId = "process-" + relayNumber.incrementAndGet();
        history.relayStarted(relayId);
        try (RelayProcess process = RelayProcess.start(
                relayId,
                schema.dataSource(),
                historySchema,
                dialect,
                options.lease(),
                handlerFaults,
                options.partitions())) {
            try {
                process.awaitOwnsEverything(TAKEOVER_TIMEOUT);
            } finally {
                process.keepOutput(OUTPUT);
            }
            LOG.info("relay process {} owns the work", relayId);
            // the hand-over to the process is a clean stop and start: it must not redeliver
            history.fault(new Fault(
                    Fault.Kind.RELAY_STOPPED_AND_STARTED,
                    handover,
                    HistoryClock.nowMicros(),
                    "closed " + closed + ", started " + relayId + " in another JVM"));
            faultCounts.merge(Fault.Kind.RELAY_STOPPED_AND_STARTED, 1, Integer::sum);
            String standby = startRelay();
            long batches = process.batches();
            try {
                Await.await("relay process " + relayId + " to be in the middle of a batch")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(1))
                        .until(() -> process.batches() > batches);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; its output:\n" + process.outputTail(), e);
            }
            String batch = process.lastBatch();
            long killedAt = HistoryClock.nowMicros();
            process.kill();
            history.relayEnded(relayId);
            history.delivered(process.deliveries());
            history.called(process.calls());
            process.keepOutput(OUTPUT);
            LOG.info("relay process {} killed with seqs {} in its handler", relayId, batch);
            awaitOwner("standby " + standby + " to take over from killed process " + relayId);
            awaitProgress(killedAt, "deliveries after relay process " + relayId + " was killed");
            startRelay();
            history.fault(new Fault(
                    Fault.Kind.RELAY_PROCESS_KILLED,
                    killedAt,
                    HistoryClock.nowMicros(),
                    relayId + " (pid " + process.pid() + ") killed with seqs " + batch.replace(' ', '-')
                            + " in its handler; " + standby + " took over"));
        }
    }

    private void restartServer() {
        RestartableDatabase server = (RestartableDatabase) database;
        long start = HistoryClock.nowMicros();
        server.restart();
        workload.renewIdleSession();
        awaitOwner("a relay to own the work again after the server restarted");
        awaitProgress(start, "deliveries after the server restarted");
        history.fault(new Fault(
                Fault.Kind.SERVER_RESTARTED,
                start,
                HistoryClock.nowMicros(),
                "start #" + server.starts() + " of the server"));
    }

    // --- relays in child JVMs that share the partitions -------------------------------------

    /**
     * SIGKILL of the process in the middle of a batch, the time until every partition is served by
     * the others again; then a new process joins and gets partitions handed over to it.
     */
    private void killOneProcessAndJoinAnother() throws Exception {
        Map<RelayProcess, Long> batches = batchCounts();
        RelayProcess victim = awaitValue("a relay process in the middle of a batch", TAKEOVER_TIMEOUT, () -> {
            for (RelayProcess process : processes) {
                if (process.batches() > batches.getOrDefault(process, 0L)) {
                    return process;
                }
            }
            return null;
        });
        String batch = victim.lastBatch();
        long killedAt = HistoryClock.nowMicros();
        long killedNanos = System.nanoTime();
        endProcess(victim, true);
        awaitServedBy(liveProcesses(), "the partitions of killed " + victim.relayId() + " to be served again");
        long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNanos);
        awaitProcessProgress("deliveries after " + victim.relayId() + " was killed");
        history.fault(new Fault(
                Fault.Kind.RELAY_PROCESS_KILLED,
                killedAt,
                HistoryClock.nowMicros(),
                victim.relayId() + " (pid " + victim.pid() + ") killed with seqs " + batch.replace(' ', '-')
                        + " in its handler; its partitions served again after " + takeoverMillis + " ms"));
        processFigures.add("SIGKILL of " + victim.relayId() + ": partitions served again after " + takeoverMillis
                + " ms (lease " + options.lease().toMillis() + " ms)");

        long joinedAt = HistoryClock.nowMicros();
        long joinedNanos = System.nanoTime();
        RelayProcess joined = startProcess();
        awaitServing(joined, joined.relayId() + " to be handed partitions");
        long joinMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - joinedNanos);
        awaitProcessProgress("deliveries after " + joined.relayId() + " joined");
        history.fault(new Fault(
                Fault.Kind.RELAY_JOINED,
                joinedAt,
                HistoryClock.nowMicros(),
                joined.relayId() + " joined; its first partition after " + joinMillis + " ms"));
        faultCounts.merge(Fault.Kind.RELAY_JOINED, 1, Integer::sum);
    }

    /**
     * SIGSTOP of the process that serves the most partitions until the others serve all of them
     * (past its lease), then SIGCONT: it finds its leases lost, its writes rejected, and rejoins.
     */
    private void pauseOneProcess() throws Exception {
        Map<String, String> owners = owners();
        RelayProcess frozen = processes.stream()
                .max(Comparator.comparingLong(p ->
                        owners.values().stream().filter(p.relayId()::equals).count()))
                .orElseThrow();
        long pausedAt = HistoryClock.nowMicros();
        long pausedNanos = System.nanoTime();
        frozen.pause();
        List<String> others = liveProcesses().stream()
                .filter(id -> !id.equals(frozen.relayId()))
                .toList();
        try {
            // but for a partition whose transactional batch was in flight: its row stays locked, and
            // the lock says its owner lives, until the frozen relay resumes
            await(
                    "the partitions of frozen " + frozen.relayId() + " to be served by the others",
                    TAKEOVER_TIMEOUT,
                    () -> servedBy(others, historySchema.lockedPartitions(schema.dataSource())));
        } finally {
            frozen.resume();
        }
        long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedNanos);
        awaitServing(frozen, "resumed " + frozen.relayId() + " to serve partitions again");
        awaitProcessProgress("deliveries after " + frozen.relayId() + " was resumed");
        history.fault(new Fault(
                Fault.Kind.RELAY_PROCESS_PAUSED,
                pausedAt,
                HistoryClock.nowMicros(),
                frozen.relayId() + " frozen until its partitions were served by " + others + " after " + takeoverMillis
                        + " ms, then resumed"));
        processFigures.add(
                "SIGSTOP of " + frozen.relayId() + ": partitions served by the others after " + takeoverMillis + " ms");
    }

    /**
     * A rolling restart: each process stopped with SIGTERM and replaced, the next one only once every
     * partition is served and the new one serves some; counts the partitions that changed owner.
     */
    private void restartProcessesInTurn() throws Exception {
        long startedAt = HistoryClock.nowMicros();
        long startedNanos = System.nanoTime();
        List<String> replaced = new ArrayList<>();
        try (OwnerChanges moves = new OwnerChanges()) {
            for (RelayProcess old : List.copyOf(processes)) {
                endProcess(old, false);
                RelayProcess replacement = startProcess();
                awaitServing(
                        replacement, replacement.relayId() + " (replacing " + old.relayId() + ") to serve partitions");
                replaced.add(old.relayId() + " by " + replacement.relayId());
            }
            awaitProcessProgress("deliveries after the rolling restart");
            processFigures.add("rolling restart of " + replaced.size() + " relays in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos) + " ms: " + moves.count()
                    + " partition moves of " + owners().size() + " partitions");
        }
        history.fault(new Fault(
                Fault.Kind.RELAYS_RESTARTED_IN_TURN, startedAt, HistoryClock.nowMicros(), "replaced " + replaced));
    }

    /** Watches the partitions' owners and counts each change from one live owner to another. */
    private final class OwnerChanges implements AutoCloseable {
        private final Map<String, String> last = new ConcurrentHashMap<>();
        private final AtomicInteger moves = new AtomicInteger();
        private volatile boolean running = true;
        private final Thread watcher = new Thread(this::watch, "history-owner-changes");

        OwnerChanges() {
            watcher.setDaemon(true);
            watcher.start();
        }

        private void watch() {
            while (running) {
                try {
                    owners().forEach((partition, owner) -> {
                        if (owner != null) {
                            String previous = last.put(partition, owner);
                            if (previous != null && !previous.equals(owner)) {
                                moves.incrementAndGet();
                            }
                        }
                    });
                    TimeUnit.MILLISECONDS.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.debug("could not read the owners: {}", e.toString());
                }
            }
        }

        int count() {
            return moves.get();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            watcher.join(5_000);
        }
    }

    private RelayProcess startProcess() {
        String relayId = "process-" + relayNumber.incrementAndGet();
        history.relayStarted(relayId);
        RelayProcess process = RelayProcess.start(
                relayId,
                schema.dataSource(),
                historySchema,
                dialect,
                options.lease(),
                handlerFaults,
                options.partitions());
        processes.add(process);
        return process;
    }

    /** Kills ({@code kill}) or stops a relay process, and takes what it recorded into the history. */
    private void endProcess(RelayProcess process, boolean kill) throws InterruptedException {
        processes.remove(process);
        try {
            if (kill) {
                process.kill();
            } else {
                process.stop();
            }
        } finally {
            history.relayEnded(process.relayId());
            history.delivered(process.deliveries());
            history.called(process.calls());
            process.keepOutput(OUTPUT);
            process.close();
        }
    }

    private List<String> liveProcesses() {
        return processes.stream().map(RelayProcess::relayId).toList();
    }

    private Map<RelayProcess, Long> batchCounts() {
        Map<RelayProcess, Long> counts = new HashMap<>();
        processes.forEach(process -> counts.put(process, process.batches()));
        return counts;
    }

    /** The partitions' owners with a live lease ({@link HistorySchema#owners}). */
    private Map<String, String> owners() {
        try {
            return historySchema.owners(schema.dataSource(), HistoryRelays.CONSUMERS);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the partitions' owners", e);
        }
    }

    /** Whether every partition of the projection and the recorder has a live lease of one of {@code relayIds}. */
    private boolean servedBy(List<String> relayIds) {
        return servedBy(relayIds, Set.of());
    }

    /** {@link #servedBy(List)}, but for the partitions in {@code except}. */
    private boolean servedBy(List<String> relayIds, Set<String> except) {
        Map<String, String> owners = owners();
        return owners.size() == HistoryRelays.CONSUMERS.size() * options.partitions()
                && owners.entrySet().stream()
                        .filter(partition -> !except.contains(partition.getKey()))
                        .allMatch(partition -> partition.getValue() != null && relayIds.contains(partition.getValue()));
    }

    /** Waits until {@code process} serves some partitions and every partition is served by a live process. */
    private void awaitServing(RelayProcess process, String what) {
        await(what, TAKEOVER_TIMEOUT, () -> owners().containsValue(process.relayId()) && servedBy(liveProcesses()));
    }

    private void awaitServedBy(List<String> relayIds, String what) {
        await(what, TAKEOVER_TIMEOUT, () -> servedBy(relayIds));
    }

    /** Waits until a relay process reports an at-least-once batch after this call. */
    private void awaitProcessProgress(String what) {
        Map<RelayProcess, Long> batches = batchCounts();
        await(
                what,
                TAKEOVER_TIMEOUT,
                () -> processes.stream()
                        .anyMatch(process -> process.batches() > batches.getOrDefault(process, Long.MAX_VALUE)));
    }

    private String startRelay() {
        String relayId = "jvm-" + relayNumber.incrementAndGet();
        OutboxRelay relay = HistoryRelays.build(
                trackedRelayPool,
                historySchema,
                HistoryRelays.options(relayId, options.lease()),
                history::delivered,
                batch -> {},
                handlerFaults,
                history::called,
                options.partitions());
        history.relayStarted(relayId);
        relay.start();
        relays.add(relay);
        relayIds.put(relay, relayId);
        return relayId;
    }

    private void closeRelay(OutboxRelay relay) {
        relay.close();
        relays.remove(relay);
        String relayId = relayIds.remove(relay);
        if (relayId != null) {
            history.relayEnded(relayId);
        }
    }

    /**
     * Waits until one relay of this JVM sequences and each partition of each consumer runs in one
     * (not always the same).
     */
    private void awaitOwner(String what) {
        await(
                what,
                TAKEOVER_TIMEOUT,
                () -> relays.stream().anyMatch(OutboxRelay::isSequencing)
                        && consumers.stream().allMatch(this::everyPartitionRuns));
    }

    private boolean everyPartitionRuns(String consumer) {
        int partitions = HistoryRelays.CONSUMERS.contains(consumer) ? options.partitions() : 1;
        Set<Integer> owned = new HashSet<>();
        relays.forEach(relay -> owned.addAll(relay.ownedPartitions(consumer)));
        return owned.size() == partitions;
    }

    /** Waits until the at-least-once consumer got an event that committed after {@code sinceMicros}. */
    private void awaitProgress(long sinceMicros, String what) {
        await(what, TAKEOVER_TIMEOUT, () -> history.lastDeliveryMicros() > sinceMicros);
    }

    /** Awaits a non-null value of {@code probe}, and returns it. */
    private <T> T awaitValue(String what, Duration timeout, Supplier<T> probe) {
        AtomicReference<T> found = new AtomicReference<>();
        await(what, timeout, () -> {
            found.set(probe.get());
            return found.get() != null;
        });
        return found.get();
    }

    /** Awaits {@code condition}; on time-out fails with what the database sessions were waiting for. */
    private void await(String what, Duration timeout, Callable<Boolean> condition) {
        try {
            Await.await(what)
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(10))
                    .ignoring(Exception.class)
                    .until(condition);
        } catch (AssertionError e) {
            throw new AssertionError(
                    "timed out after " + timeout + " waiting for " + what + " (queue: " + queueSize()
                            + " events). Sessions waiting on locks, and who blocks them:\n" + lockWaits(),
                    e);
        }
    }

    private String queueSize() {
        try (Connection connection = schema.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM "
                        + historySchema.table(historySchema.tables().eventTable()))) {
            rs.next();
            return Long.toString(rs.getLong(1));
        } catch (SQLException e) {
            return "unknown: " + e.getMessage();
        }
    }

    /** The server's view of lock waits: the evidence of a stall. */
    private String lockWaits() {
        boolean postgres = dialect.sqlDialect().family() == SQLDialect.POSTGRES;
        String sql = postgres
                ? "SELECT a.pid || ' (' || a.application_name || ', ' || a.state || ', '"
                        + " || coalesce(a.wait_event_type || ':' || a.wait_event, 'not waiting') || ') blocked by '"
                        + " || pg_blocking_pids(a.pid)::text || ': ' || left(a.query, 300)"
                        + " FROM pg_stat_activity a WHERE a.datname = current_database()"
                        + " AND cardinality(pg_blocking_pids(a.pid)) > 0"
                        + " UNION ALL SELECT 'blocker ' || b.pid || ' (' || b.state || ' since ' || b.xact_start || '): '"
                        + " || left(b.query, 300) FROM pg_stat_activity b WHERE b.pid IN (SELECT unnest(pg_blocking_pids(p.pid))"
                        + " FROM pg_stat_activity p)"
                : "SELECT CONCAT('session ', r.trx_mysql_thread_id, ' (trx ', r.trx_id, ', waiting since ', r.trx_wait_started,"
                        + " ') runs: ', LEFT(COALESCE(r.trx_query, '?'), 300), ' -- blocked by session ', b.trx_mysql_thread_id,"
                        + " ' (trx ', b.trx_id, ', started ', b.trx_started, ', ', b.trx_rows_modified, ' rows modified, now: ',"
                        + " COALESCE(b.trx_query, 'idle in transaction'), ')')"
                        + " FROM information_schema.INNODB_LOCK_WAITS w"
                        + " JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id"
                        + " JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id";
        StringBuilder text = new StringBuilder();
        try (Connection connection = schema.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                text.append("  ").append(rs.getString(1)).append('\n');
            }
        } catch (SQLException e) {
            return "  (could not read lock waits: " + e.getMessage() + ")";
        }
        return text.length() == 0 ? "  none" : text.toString();
    }

    private HikariDataSource relayPool() {
        HikariConfig config = new HikariConfig();
        schema.dataSource().copyStateTo(config);
        config.setPoolName("history-relays-" + schema.name());
        config.setMaximumPoolSize(12);
        config.setConnectionTimeout(5_000);
        return new HikariDataSource(config);
    }
}
