package dev.outbox.testsupport.history;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxWriter;
import dev.outbox.testkit.history.History;
import dev.outbox.testkit.history.HistoryClock;
import dev.outbox.testkit.history.TransactionRecord;
import dev.outbox.testkit.history.TransactionRecord.Outcome;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writer threads doing real business transactions, each recorded in a {@link History}: bump a
 * key's row to version + 1, record the transaction in {@code hist_tx}, append 1 to {@link
 * Options#maxEventsPerTransaction()} events about the key, then commit, or roll back ({@link
 * Options#rollbackPercent()}). Half of the regular transactions go through {@link
 * OutboxWriter#inTransaction} (events inserted as the last statement), half through {@link
 * OutboxWriter#append(Connection, List)} on a plain connection.
 *
 * <p>Besides the regular writers: {@link Options#longWriters()} writers hold each transaction open
 * for {@link Options#longHold()} (longer than every poll, lease and heartbeat interval), half of them
 * after their events were inserted (their positions are then older than events that commit and are
 * sequenced meanwhile), half before; and one session stays idle in a transaction that appended an
 * event, from {@link #start()} to {@link #stop()}, where it commits.
 *
 * <p>Writers that hit a broken connection (a fault) record what they know, pause briefly and go on.
 * {@link #start()} and {@link #stop()} are called by one thread; the rest is internal.
 */
public final class Workload {

    private static final Logger LOG = LoggerFactory.getLogger(Workload.class);

    /**
     * Size and shape of the workload.
     *
     * @param writers regular writer threads
     * @param keys distinct business rows the regular writers update (fewer keys: more conflicts)
     * @param maxEventsPerTransaction events per transaction, 1 to this many
     * @param rollbackPercent share of transactions rolled back by the client, 0 to 100
     * @param longWriters threads that only run long transactions, each on its own key
     * @param longHold how long a long transaction is held open
     * @param idleSession whether one session stays idle in a transaction for the whole run
     * @param transactionsPerSecond cap on the regular writers' total rate; 0 for none
     */
    public record Options(
            int writers,
            int keys,
            int maxEventsPerTransaction,
            int rollbackPercent,
            int longWriters,
            Duration longHold,
            boolean idleSession,
            int transactionsPerSecond) {

        /** 4 writers on 16 keys, 1-3 events, 5 % rollbacks, 1 long writer holding 5 s, idle session, 300 tx/s. */
        public static Options defaults() {
            return new Options(4, 16, 3, 5, 1, Duration.ofSeconds(5), true, 300);
        }

        public Options {
            if (writers < 1 || keys < 1 || maxEventsPerTransaction < 1 || longWriters < 0) {
                throw new IllegalArgumentException("workload: writers, keys and maxEventsPerTransaction must be >= 1");
            }
            if (rollbackPercent < 0 || rollbackPercent > 100) {
                throw new IllegalArgumentException(
                        "workload: rollbackPercent must be in [0, 100], was " + rollbackPercent);
            }
            Objects.requireNonNull(longHold, "longHold");
        }

        public Options withWriters(int n) {
            return new Options(
                    n,
                    keys,
                    maxEventsPerTransaction,
                    rollbackPercent,
                    longWriters,
                    longHold,
                    idleSession,
                    transactionsPerSecond);
        }

        public Options withKeys(int n) {
            return new Options(
                    writers,
                    n,
                    maxEventsPerTransaction,
                    rollbackPercent,
                    longWriters,
                    longHold,
                    idleSession,
                    transactionsPerSecond);
        }

        public Options withLongHold(Duration hold) {
            return new Options(
                    writers,
                    keys,
                    maxEventsPerTransaction,
                    rollbackPercent,
                    longWriters,
                    hold,
                    idleSession,
                    transactionsPerSecond);
        }

        public Options withTransactionsPerSecond(int rate) {
            return new Options(
                    writers, keys, maxEventsPerTransaction, rollbackPercent, longWriters, longHold, idleSession, rate);
        }
    }

    private static final class RollBack extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RollBack() {
            super(null, null, false, false);
        }
    }

    private final DataSource dataSource;
    private final OutboxWriter writer;
    private final HistorySchema schema;
    private final History history;
    private final Options options;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean stopping;
    private @Nullable IdleSession idle;
    private int idleSessions;

    public Workload(
            DataSource dataSource, OutboxWriter writer, HistorySchema schema, History history, Options options) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.writer = Objects.requireNonNull(writer, "writer");
        this.schema = Objects.requireNonNull(schema, "schema");
        this.history = Objects.requireNonNull(history, "history");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Every business key the workload uses: create their rows before {@link #start()}. */
    public List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (int k = 0; k < options.keys(); k++) {
            keys.add("key-" + k);
        }
        for (int w = 0; w < options.longWriters(); w++) {
            keys.add("long-" + w);
        }
        keys.add("idle-key");
        return keys;
    }

    /** Opens the idle session and starts the writer threads; returns at once. */
    public void start() {
        if (options.idleSession()) {
            idle = openIdleSession();
        }
        double perWriter =
                options.transactionsPerSecond() <= 0 ? 0 : (double) options.transactionsPerSecond() / options.writers();
        for (int w = 0; w < options.writers(); w++) {
            int id = w;
            threads.add(startThread("history-writer-" + w, () -> regularWriter(id, perWriter)));
        }
        for (int w = 0; w < options.longWriters(); w++) {
            int id = w;
            threads.add(startThread("history-long-writer-" + w, () -> longWriter(id)));
        }
    }

    /**
     * Replaces the idle session after a fault that ended it (a server restart): its transaction is
     * recorded with an unknown outcome, for the database to settle.
     */
    public synchronized void renewIdleSession() {
        if (idle != null) {
            idle.abandon();
            idle = openIdleSession();
        }
    }

    /** Stops the writers (each finishes its transaction), then commits the idle session. */
    public void stop() throws InterruptedException {
        stopping = true;
        for (Thread thread : threads) {
            thread.join(TimeUnit.MINUTES.toMillis(2));
        }
        synchronized (this) {
            if (idle != null) {
                idle.commit();
                idle = null;
            }
        }
    }

    /** Transactions that failed on a database error (not the deliberate rollbacks). */
    public long failures() {
        return failures.get();
    }

    private void regularWriter(int id, double ratePerSecond) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long n = 0;
        long nextNanos = System.nanoTime();
        long intervalNanos = ratePerSecond <= 0 ? 0 : (long) (1_000_000_000L / ratePerSecond);
        while (!stopping) {
            if (intervalNanos > 0) {
                nextNanos += intervalNanos;
                long wait = nextNanos - System.nanoTime();
                if (wait > 0) {
                    pause(wait);
                } else if (wait < -1_000_000_000L) {
                    nextNanos = System.nanoTime(); // fell behind (a fault): do not burst
                }
            }
            String txId = "w" + id + "-" + (++n);
            String key = "key-" + random.nextInt(options.keys());
            int events = 1 + random.nextInt(options.maxEventsPerTransaction());
            boolean rollBack = random.nextInt(100) < options.rollbackPercent();
            boolean ok = random.nextBoolean()
                    ? wrapped(txId, key, events, rollBack)
                    : plain(txId, key, events, rollBack, 0, false);
            if (!ok) {
                pause(TimeUnit.MILLISECONDS.toNanos(50 + random.nextInt(100)));
            }
        }
    }

    private void longWriter(int id) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long n = 0;
        while (!stopping) {
            long hold = options.longHold().toMillis() / 2
                    + random.nextLong(Math.max(1, options.longHold().toMillis()));
            boolean afterAppend = (n % 2) == 0;
            String txId = "long" + id + "-" + (++n);
            boolean rollBack = random.nextInt(100) < options.rollbackPercent();
            if (!plain(
                    txId,
                    "long-" + id,
                    1 + random.nextInt(options.maxEventsPerTransaction()),
                    rollBack,
                    hold,
                    afterAppend)) {
                pause(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
    }

    /** One transaction through {@link OutboxWriter#inTransaction}. */
    private boolean wrapped(String txId, String key, int count, boolean rollBack) {
        long[] version = {0};
        long[] appendBegan = {Long.MAX_VALUE};
        List<OutboxEvent> events = new ArrayList<>();
        try {
            writer.inTransaction(dataSource, tx -> {
                version[0] = schema.bumpVersion(tx.connection(), key);
                schema.insertTransaction(tx.connection(), txId, key, version[0]);
                events.addAll(events(txId, key, version[0], count));
                tx.append(events);
                if (rollBack) {
                    throw new RollBack();
                }
                // The writer inserts the buffered events after this returns: no earlier than now.
                appendBegan[0] = HistoryClock.nowMicros();
                return null;
            });
            history.record(record(
                    txId, key, version[0], events, Outcome.COMMITTED, appendBegan[0], HistoryClock.nowMicros(), 0));
            return true;
        } catch (RollBack expected) {
            history.record(
                    record(txId, key, version[0], events, Outcome.ROLLED_BACK, appendBegan[0], Long.MAX_VALUE, 0));
            return true;
        } catch (RuntimeException e) {
            // inTransaction does not say whether the commit was sent: the database settles it
            failed(txId, e);
            history.record(record(txId, key, version[0], events, Outcome.UNKNOWN, appendBegan[0], Long.MAX_VALUE, 0));
            return false;
        }
    }

    /**
     * One transaction on a plain connection; held open for {@code holdMillis} after (or before)
     * its events were inserted.
     */
    private boolean plain(
            String txId, String key, int count, boolean rollBack, long holdMillis, boolean holdAfterAppend) {
        long version = 0;
        long appendBegan = Long.MAX_VALUE;
        List<OutboxEvent> events = List.of();
        boolean commitSent = false;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                version = schema.bumpVersion(connection, key);
                schema.insertTransaction(connection, txId, key, version);
                events = events(txId, key, version, count);
                if (holdMillis > 0 && !holdAfterAppend) {
                    pause(TimeUnit.MILLISECONDS.toNanos(holdMillis));
                }
                appendBegan = HistoryClock.nowMicros();
                writer.append(connection, events);
                if (holdMillis > 0 && holdAfterAppend) {
                    pause(TimeUnit.MILLISECONDS.toNanos(holdMillis));
                }
                if (rollBack) {
                    connection.rollback();
                    history.record(record(
                            txId, key, version, events, Outcome.ROLLED_BACK, appendBegan, Long.MAX_VALUE, holdMillis));
                } else {
                    commitSent = true;
                    connection.commit();
                    history.record(record(
                            txId,
                            key,
                            version,
                            events,
                            Outcome.COMMITTED,
                            appendBegan,
                            HistoryClock.nowMicros(),
                            holdMillis));
                }
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.rollback();
                } catch (SQLException ignored) {
                    // the connection is broken
                }
                throw e;
            } finally {
                try {
                    connection.setAutoCommit(true);
                } catch (SQLException ignored) {
                    // the pool discards a broken connection
                }
            }
            return true;
        } catch (SQLException | RuntimeException e) {
            failed(txId, e);
            history.record(record(
                    txId,
                    key,
                    version,
                    events,
                    commitSent ? Outcome.UNKNOWN : Outcome.ROLLED_BACK,
                    appendBegan,
                    Long.MAX_VALUE,
                    holdMillis));
            return false;
        }
    }

    private void failed(String txId, Exception e) {
        long n = failures.incrementAndGet();
        if (n <= 5 || n % 100 == 0) {
            LOG.info("transaction {} failed ({} failures so far): {}", txId, n, e.toString());
        }
    }

    private static List<OutboxEvent> events(String txId, String key, long version, int count) {
        List<OutboxEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(OutboxEvent.of(
                    "row",
                    key,
                    "VersionBumped",
                    "{\"tx\":\"" + txId + "\",\"version\":" + version + ",\"index\":" + i + "}"));
        }
        return events;
    }

    private static TransactionRecord record(
            String txId,
            String key,
            long version,
            List<OutboxEvent> events,
            Outcome outcome,
            long appendBegan,
            long commitReturned,
            long held) {
        return new TransactionRecord(
                txId,
                key,
                version,
                events.stream().map(OutboxEvent::eventId).toList(),
                outcome,
                appendBegan,
                commitReturned,
                held);
    }

    private static void pause(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread startThread(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private @Nullable IdleSession openIdleSession() {
        String txId = "idle-" + (++idleSessions);
        try {
            Connection connection = dataSource.getConnection();
            try {
                connection.setAutoCommit(false);
                long version = schema.bumpVersion(connection, "idle-key");
                schema.insertTransaction(connection, txId, "idle-key", version);
                List<OutboxEvent> events = events(txId, "idle-key", version, 1);
                long appendBegan = HistoryClock.nowMicros();
                writer.append(connection, events);
                return new IdleSession(connection, txId, version, events, appendBegan);
            } catch (SQLException | RuntimeException e) {
                connection.close();
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("could not open the idle session {}: {}", txId, e.toString());
            return null;
        }
    }

    /** The session left idle in its transaction. */
    private final class IdleSession {
        private final Connection connection;
        private final String txId;
        private final long version;
        private final List<OutboxEvent> events;
        private final long appendBegan;
        private final long openedNanos = System.nanoTime();

        IdleSession(Connection connection, String txId, long version, List<OutboxEvent> events, long appendBegan) {
            this.connection = connection;
            this.txId = txId;
            this.version = version;
            this.events = events;
            this.appendBegan = appendBegan;
        }

        void commit() {
            long held = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedNanos);
            try {
                connection.commit();
                history.record(record(
                        txId,
                        "idle-key",
                        version,
                        events,
                        Outcome.COMMITTED,
                        appendBegan,
                        HistoryClock.nowMicros(),
                        held));
            } catch (SQLException e) {
                history.record(
                        record(txId, "idle-key", version, events, Outcome.UNKNOWN, appendBegan, Long.MAX_VALUE, held));
            } finally {
                close();
            }
        }

        void abandon() {
            long held = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedNanos);
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // it is dead: that is why it is abandoned
            }
            history.record(
                    record(txId, "idle-key", version, events, Outcome.UNKNOWN, appendBegan, Long.MAX_VALUE, held));
            close();
        }

        private void close() {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // broken
            }
        }
    }
}
