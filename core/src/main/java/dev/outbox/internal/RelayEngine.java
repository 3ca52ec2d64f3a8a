package dev.outbox.internal;

import dev.outbox.ConsumerStatus;
import dev.outbox.DeadLetters;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxException;
import dev.outbox.OutboxLog;
import dev.outbox.OutboxTables;
import dev.outbox.RelayHealth;
import dev.outbox.RelayListener;
import dev.outbox.RelayOptions;
import dev.outbox.RelayProblem;
import dev.outbox.spi.Notifications;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine of one {@link dev.outbox.OutboxRelay}: the threads of a started relay (the sequencer,
 * one per consumer, the lease keeper and the optional notification listener, wired to wake each
 * other), and the operations that work whether or not it is started (status, dead letters, reset,
 * delete). It owns everything the relay shares: the connections' context, the statements, the
 * problems board.
 *
 * <p>Public only for {@code OutboxRelay}, in another package: not API. Thread-safe.
 */
public final class RelayEngine {

    private static final Logger LOG = LoggerFactory.getLogger(RelayEngine.class);

    private final RelayContext context;
    private final RelayAdmin admin;
    private final RelayProblems problems;
    private final StartupCheck startup;
    private final LeaseKeeper keeper;
    private final ReadAhead readAhead = new ReadAhead();
    private final Sequencer sequencer;
    /** Each consumer's loops, one per partition, in partition order. */
    private final Map<String, List<ConsumerWorker>> workers = new LinkedHashMap<>();

    private final @Nullable PartitionBalancer balancer;
    private volatile boolean listening;
    private final DeadLetterStore deadLetters;
    private final StatusReader status;
    private final LogProbe log;
    private final HealthCheck health;
    private final List<Thread> threads = new ArrayList<>();
    private final List<AutoCloseable> subscriptions = new ArrayList<>();

    public RelayEngine(
            DataSource dataSource,
            OutboxDialect dialect,
            OutboxTables tables,
            RelayOptions options,
            List<OutboxConsumer> consumers) {
        this.context = new RelayContext(dataSource, dialect, tables, options);
        this.admin = new RelayAdmin(context);
        this.problems = new RelayProblems(context.options.clock());
        this.startup = new StartupCheck(context);
        this.keeper = new LeaseKeeper(context.options.leaseDuration());
        this.sequencer = new Sequencer(context, problems, startup, this::wakeConsumers);
        this.deadLetters =
                new DeadLetterStore(context, name -> workersOf(name).forEach(ConsumerWorker::deadLettersChanged));
        this.status = new StatusReader(context);
        this.log = new LogProbe(context);
        this.health = new HealthCheck(
                context.options.relayId(),
                log,
                () -> status(workers.keySet().stream().toList(), true),
                this::problems,
                this::isSequencing);
        Map<String, List<ConsumerWorker>> split = new LinkedHashMap<>();
        for (OutboxConsumer consumer : consumers) {
            List<ConsumerWorker> partitions = new ArrayList<>(consumer.partitions());
            for (int number = 0; number < consumer.partitions(); number++) {
                partitions.add(new ConsumerWorker(
                        consumer,
                        new Partition(consumer.name(), number, consumer.partitions()),
                        context,
                        problems,
                        startup,
                        deadLetters,
                        keeper,
                        readAhead,
                        sequencer::isLeader));
            }
            workers.put(consumer.name(), List.copyOf(partitions));
            if (consumer.partitions() > 1) {
                split.put(consumer.name(), List.copyOf(partitions));
            }
        }
        this.balancer = split.isEmpty()
                ? null
                : new PartitionBalancer(
                        context, problems, startup, split, allWorkers(), () -> sequencer.isLeader() || listening);
    }

    private List<ConsumerWorker> workersOf(String name) {
        return workers.getOrDefault(name, List.of());
    }

    private List<ConsumerWorker> allWorkers() {
        return workers.values().stream().flatMap(List::stream).toList();
    }

    /**
     * Checks the schema, creates the consumers' checkpoint rows, then starts the threads and
     * returns. When the database cannot be reached, the loops do the check as soon as it can.
     *
     * @throws dev.outbox.OutboxSchemaException if the tables are missing or of another version
     * @throws dev.outbox.OutboxConfigurationException if a relay with the same id runs here already
     */
    public void start() {
        subscriptions.add(RunningRelays.register(context.dataSource, context.sql.tables(), context.options.relayId()));
        try {
            startup.ensure();
        } catch (SQLException e) {
            if (context.dialect.classify(e) != SqlFailure.CONNECTION) {
                stopSubscriptions();
                throw new OutboxException(
                        "relay: schema check failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
            }
            LOG.warn(
                    "relay {}: database unreachable at start, will keep trying; the schema is checked once it"
                            + " answers: {}",
                    context.options.relayId(),
                    e.getMessage());
        } catch (RuntimeException e) {
            stopSubscriptions();
            throw e;
        }
        subscriptions.add(LocalWakeups.register(context.sql.tables(), this::wakeUp));
        Notifications notifications = context.dialect.notifications();
        if (context.options.listenForNotifications() && notifications != null) {
            subscriptions.add(
                    notifications.listen(context.dataSource, LocalWakeups.channel(context.sql.tables()), payload -> {
                        if ("log".equals(payload)) {
                            wakeConsumers();
                        } else {
                            sequencer.wakeUp();
                        }
                    }));
            listening = true;
        }
        threads.add(startThread("outbox-sequencer", sequencer));
        for (ConsumerWorker worker : allWorkers()) {
            Partition part = worker.partition();
            threads.add(startThread(
                    "outbox-consumer-" + part.consumer() + (part.isSplit() ? "-" + part.number() : ""), worker));
        }
        if (balancer != null) {
            threads.add(startThread("outbox-balancer", balancer));
        }
    }

    /** Wakes the sequencer: events may be waiting. */
    public void wakeUp() {
        sequencer.wakeUp();
    }

    private void wakeConsumers() {
        allWorkers().forEach(ConsumerWorker::wakeUp);
    }

    public boolean isSequencing() {
        return sequencer.isLeader();
    }

    /** Whether this relay holds the lease of consumer {@code name} now (of one of its partitions, at least). */
    public boolean ownsConsumer(String name) {
        return workersOf(name).stream().anyMatch(ConsumerWorker::isOwner);
    }

    /** The partitions of consumer {@code name} whose lease this relay holds now, in order. */
    public List<Integer> ownedPartitions(String name) {
        return workersOf(name).stream()
                .filter(ConsumerWorker::isOwner)
                .map(worker -> worker.partition().number())
                .toList();
    }

    /**
     * Sets the checkpoint of consumer {@code name} (of its partition {@code partition}, or of every
     * partition when it is {@code null}), fencing whoever runs it; tells its loops if they run here.
     */
    public void resetConsumer(String name, @Nullable Integer partition, long checkpoint) {
        List<ConsumerWorker> partitions = workersOf(name);
        admin.resetConsumer(name, partition, Math.max(1, partitions.size()), checkpoint);
        for (ConsumerWorker worker : workersOf(name)) {
            if (partition == null || worker.partition().number() == partition) {
                worker.recheckLease();
            }
        }
    }

    /**
     * Deletes consumer {@code name}'s row and dead letters.
     *
     * @return whether the consumer had a row
     */
    public boolean deleteConsumer(String name) {
        return admin.deleteConsumer(name);
    }

    public DeadLetters deadLetters() {
        return deadLetters;
    }

    /** The status of {@code names} in that order; with {@code allRows}, then of every other consumer row. */
    public List<ConsumerStatus> status(List<String> names, boolean allRows) {
        return status.read(names, workers.keySet(), allRows);
    }

    public List<RelayProblem> problems() {
        return problems.list();
    }

    /** Checks the tables' schema version, as {@link #start()} does, without starting anything. */
    public void checkSchema() {
        try {
            context.checkSchema();
        } catch (SQLException e) {
            throw new OutboxException(
                    "relay: schema check failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
        }
    }

    public OutboxLog log() {
        return log;
    }

    /** The relay's health; {@code running}: whether it is started and not closed. */
    public RelayHealth health(boolean running, RelayHealth.Thresholds thresholds) {
        return health.check(running, thresholds);
    }

    /** Adds {@code listener}; closing the returned handle removes it. */
    public AutoCloseable addListener(RelayListener listener) {
        return context.listeners.add(listener);
    }

    /**
     * Stops the loops, lets in-flight batches finish for up to {@code timeoutMillis}, then
     * interrupts what is left. Leases are released by the loops as they exit.
     */
    public void stop(long timeoutMillis) {
        sequencer.stop();
        allWorkers().forEach(ConsumerWorker::stop);
        if (balancer != null) {
            balancer.stop();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try {
            for (Thread thread : threads) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                thread.join(Math.max(1, left));
                if (thread.isAlive()) {
                    // Hard stop: roll back what is in flight; its events are delivered again later.
                    LOG.warn(
                            "relay {}: {} did not finish within {} ms; interrupting it and aborting its"
                                    + " transaction",
                            context.options.relayId(),
                            thread.getName(),
                            timeoutMillis);
                    thread.interrupt();
                    context.abortConnectionsInUse();
                    thread.join(TimeUnit.SECONDS.toMillis(5));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            keeper.close();
            readAhead.close();
            stopSubscriptions();
        }
    }

    private void stopSubscriptions() {
        for (AutoCloseable subscription : subscriptions) {
            try {
                subscription.close();
            } catch (Exception e) {
                LOG.warn("relay {}: closing a wake-up subscription failed", context.options.relayId(), e);
            }
        }
        subscriptions.clear();
    }

    private static Thread startThread(String name, Runnable loop) {
        Thread thread = new Thread(loop, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
