package dev.outbox.internal;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxException;
import dev.outbox.spi.Notifications;
import dev.outbox.spi.SqlFailure;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads of one started relay: the sequencer, one per consumer, and the optional notification
 * listener, wired to wake each other. Created by {@code OutboxRelay.start()}, stopped by its
 * {@code close()}.
 */
public final class RelayRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(RelayRuntime.class);

    private final RelayContext context;
    private final Sequencer sequencer;
    private final Map<String, ConsumerWorker> workers = new LinkedHashMap<>();
    private final DeadLetterStore deadLetters;
    private final StatusReader status;
    private final List<Thread> threads = new ArrayList<>();
    private final List<AutoCloseable> subscriptions = new ArrayList<>();

    public RelayRuntime(RelayContext context, List<OutboxConsumer> consumers) {
        this.context = context;
        this.sequencer = new Sequencer(context, this::wakeConsumers);
        this.deadLetters = new DeadLetterStore(context, name -> {
            ConsumerWorker worker = workers.get(name);
            if (worker != null) {
                worker.deadLettersChanged();
            }
        });
        this.status = new StatusReader(context);
        for (OutboxConsumer consumer : consumers) {
            workers.put(consumer.name(), new ConsumerWorker(consumer, context, deadLetters, sequencer::isLeader));
        }
    }

    /**
     * Checks the schema, then starts the threads and returns.
     *
     * @throws dev.outbox.OutboxSchemaException if the tables are missing or of another version
     */
    public void start() {
        try {
            context.checkSchema();
            for (ConsumerWorker worker : workers.values()) {
                worker.createCheckpoint();
            }
        } catch (SQLException e) {
            if (context.dialect.classify(e) == SqlFailure.CONNECTION) {
                // The loops retry until the database is back; the schema is checked again then.
                LOG.warn(
                        "relay {}: database unreachable at start, will keep trying: {}",
                        context.options.relayId(),
                        e.getMessage());
            } else {
                throw new OutboxException(
                        "relay: schema check failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
            }
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
        }
        threads.add(startThread("outbox-sequencer", sequencer));
        for (ConsumerWorker worker : workers.values()) {
            threads.add(startThread("outbox-consumer-" + worker.name(), worker));
        }
    }

    /** Wakes the sequencer: events may be waiting. */
    public void wakeUp() {
        sequencer.wakeUp();
    }

    private void wakeConsumers() {
        workers.values().forEach(ConsumerWorker::wakeUp);
    }

    public boolean isSequencing() {
        return sequencer.isLeader();
    }

    /** Whether this relay holds the lease of consumer {@code name} now. */
    public boolean ownsConsumer(String name) {
        ConsumerWorker worker = workers.get(name);
        return worker != null && worker.isOwner();
    }

    /** Tells the loop of consumer {@code name}, if it runs here, that its lease changed under it. */
    public void leaseChanged(String name) {
        ConsumerWorker worker = workers.get(name);
        if (worker != null) {
            worker.recheckLease();
        }
    }

    public DeadLetterStore deadLetters() {
        return deadLetters;
    }

    public List<ConsumerStatus> status(List<String> names) {
        return status.read(names);
    }

    /**
     * Stops the loops, lets in-flight batches finish for up to {@code timeoutMillis}, then
     * interrupts what is left. Leases are released by the loops as they exit.
     */
    public void stop(long timeoutMillis) {
        sequencer.stop();
        workers.values().forEach(ConsumerWorker::stop);
        for (AutoCloseable subscription : subscriptions) {
            try {
                subscription.close();
            } catch (Exception e) {
                LOG.warn("relay {}: closing a wake-up subscription failed", context.options.relayId(), e);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (Thread thread : threads) {
            try {
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
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static Thread startThread(String name, Runnable loop) {
        Thread thread = new Thread(loop, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
