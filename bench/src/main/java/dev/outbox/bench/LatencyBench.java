package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.StartPosition;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * 3. Latency from commit returned to handler invoked, at a fixed offered load (open loop: event i is
 * due at t0 + i/rate whatever happened before), with polling only, the in-JVM wake-up, and
 * PostgreSQL LISTEN/NOTIFY. 4. The cost of NOTIFY to commit throughput at 16 clients.
 */
final class LatencyBench {

    enum WakeUp {
        POLL("polling only"),
        JVM("in-JVM wake-up"),
        NOTIFY("LISTEN/NOTIFY");

        final String label;

        WakeUp(String label) {
            this.label = label;
        }
    }

    /** Writer threads of the offered load: enough that commits never queue behind each other. */
    static final int LOAD_THREADS = 4;

    static final long WARM_UP_MILLIS = 1_000;

    private final BenchDb db;
    private final Mode mode;
    private final Report report;
    private final BusinessTx business;
    private final OutboxWriter plainWriter;
    private final OutboxWriter notifyingWriter;

    LatencyBench(BenchDb db, Mode mode, Report report) {
        this.db = db;
        this.mode = mode;
        this.report = report;
        this.business = new BusinessTx(db);
        this.plainWriter = OutboxWriter.builder(db.dialect).tables(db.tables).build();
        this.notifyingWriter = OutboxWriter.builder(db.dialect)
                .tables(db.tables)
                .notifyRelays(true)
                .build();
    }

    /** Percentiles of one run, in milliseconds. */
    record Percentiles(double p50, double p99, double p999) {}

    /**
     * Where the time of the last run went, in milliseconds (p50, p99 of each part): commit returned
     * to the sequencer's move ({@code sequenced_at}, the database clock: the same clock here), and
     * that move to the handler. The database times are taken at the start of the statement.
     */
    record Breakdown(double toSequencedP50, double toSequencedP99, double toHandlerP50, double toHandlerP99) {}

    private Breakdown lastBreakdown = new Breakdown(Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    void run(List<WakeUp> wakeUps) throws Exception {
        System.out.println("[latency] " + db.label);
        // warm-up run, discarded
        measure(WakeUp.JVM, 500, 1_000);
        for (int rate : List.of(500, 2_000)) {
            for (WakeUp wakeUp : wakeUps) {
                Stats.Samples p50 = new Stats.Samples();
                Stats.Samples p99 = new Stats.Samples();
                Stats.Samples p999 = new Stats.Samples();
                Stats.Samples[] parts = {
                    new Stats.Samples(), new Stats.Samples(), new Stats.Samples(), new Stats.Samples()
                };
                for (int rep = 0; rep < mode.reps(); rep++) {
                    Percentiles p = measure(wakeUp, rate, mode.latencyMillis());
                    p50.add(p.p50());
                    p99.add(p.p99());
                    p999.add(p.p999());
                    parts[0].add(lastBreakdown.toSequencedP50());
                    parts[1].add(lastBreakdown.toSequencedP99());
                    parts[2].add(lastBreakdown.toHandlerP50());
                    parts[3].add(lastBreakdown.toHandlerP99());
                }
                String what = String.format("%s, %,d ev/s", wakeUp.label, rate);
                boolean held = rate == 2_000 && wakeUp != WakeUp.POLL;
                String section = Report.Sections.LATENCY;
                if (held) {
                    report.target(section, db.label, what + ", p50", p50.stats(), "ms", 5, true, "");
                    report.target(section, db.label, what + ", p99", p99.stats(), "ms", 10, true, "");
                } else {
                    report.add(section, db.label, what + ", p50", p50.stats(), "ms");
                    report.add(section, db.label, what + ", p99", p99.stats(), "ms");
                }
                report.add(section, db.label, what + ", p99.9", p999.stats(), "ms");
                if (wakeUp != WakeUp.POLL) {
                    report.note(String.format(
                            "%s, %s: commit → sequenced p50 %.1f / p99 %.1f ms, sequenced → handler p50 %.1f /"
                                    + " p99 %.1f ms (medians over runs)",
                            db.label,
                            what,
                            parts[0].stats().median(),
                            parts[1].stats().median(),
                            parts[2].stats().median(),
                            parts[3].stats().median()));
                }
            }
        }
    }

    /** One run: a relay with default options (plus LISTEN for NOTIFY), the load, the percentiles. */
    Percentiles measure(WakeUp wakeUp, int rate, long millis) throws Exception {
        db.reset();
        int total = (int) (rate * (WARM_UP_MILLIS + millis) / 1000);
        int warm = (int) (rate * WARM_UP_MILLIS / 1000);
        long[] committed = new long[total];
        long[] handled = new long[total];
        long[] committedWall = new long[total];
        long[] sequencedWall = new long[total];
        long[] handledWall = new long[total];
        AtomicInteger seen = new AtomicInteger();
        Consumer<OutboxRecord> onRecord = record -> {
            long now = System.nanoTime();
            int i = Integer.parseInt(record.aggregateId().substring(2));
            if (handled[i] == 0) {
                handled[i] = now;
                handledWall[i] = micros(Instant.now());
                sequencedWall[i] = micros(record.sequencedAt());
                seen.incrementAndGet();
            }
        };
        RelayOptions options = Relays.options("latency")
                .listenForNotifications(wakeUp == WakeUp.NOTIFY)
                .build();
        try (HikariDataSource relayPool = db.newPool("relay-latency", 6);
                OutboxRelay relay = Relays.relay(
                                db, relayPool, options, Relays.perRecord("latency", StartPosition.BEGINNING, onRecord))
                        .start()) {
            Thread.sleep(300); // leases taken, listener connected
            offer(rate, total, committed, committedWall, i -> {
                String key = "k-" + i;
                switch (wakeUp) {
                    case JVM ->
                        plainWriter.inTransaction(db.pool, tx -> {
                            business.businessWrites(tx.connection());
                            tx.append(BusinessTx.event(key));
                            return null;
                        });
                    case POLL, NOTIFY -> {
                        try (Connection c = db.pool.getConnection()) {
                            c.setAutoCommit(false);
                            business.businessWrites(c);
                            (wakeUp == WakeUp.NOTIFY ? notifyingWriter : plainWriter).append(c, BusinessTx.event(key));
                            c.commit();
                            c.setAutoCommit(true);
                        }
                    }
                }
            });
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (seen.get() < total && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (seen.get() < total) {
                throw new IllegalStateException("only " + seen.get() + " of " + total + " events delivered");
            }
        }
        long[] latencies = new long[total - warm];
        long[] toSequenced = new long[total - warm];
        long[] toHandler = new long[total - warm];
        for (int i = warm; i < total; i++) {
            latencies[i - warm] = Math.max(0, handled[i] - committed[i]);
            toSequenced[i - warm] = Math.max(0, sequencedWall[i] - committedWall[i]);
            toHandler[i - warm] = Math.max(0, handledWall[i] - sequencedWall[i]);
        }
        lastBreakdown = new Breakdown(
                Stats.percentile(toSequenced, 50) / 1e3,
                Stats.percentile(toSequenced, 99) / 1e3,
                Stats.percentile(toHandler, 50) / 1e3,
                Stats.percentile(toHandler, 99) / 1e3);
        return percentiles(latencies);
    }

    private static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
    }

    static Percentiles percentiles(long[] nanos) {
        return new Percentiles(
                Stats.percentile(nanos, 50) / 1e6,
                Stats.percentile(nanos, 99) / 1e6,
                Stats.percentile(nanos, 99.9) / 1e6);
    }

    @FunctionalInterface
    interface Append {
        void run(int index) throws Exception;
    }

    /**
     * Offers {@code total} transactions at {@code rate} per second from {@link #LOAD_THREADS}
     * threads, recording when each commit returned.
     */
    static void offer(int rate, int total, long[] committed, Append append) throws Exception {
        offer(rate, total, committed, null, append);
    }

    /** Like {@link #offer(int, int, long[], Append)}, also recording the wall-clock time in micros. */
    static void offer(int rate, int total, long[] committed, long @Nullable [] committedWall, Append append)
            throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long t0 = System.nanoTime() + 20_000_000;
        double period = 1e9 / rate;
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < LOAD_THREADS; t++) {
            Thread thread = new Thread(
                    () -> {
                        int i;
                        while ((i = next.getAndIncrement()) < total && failure.get() == null) {
                            long due = t0 + (long) (i * period);
                            long wait;
                            while ((wait = due - System.nanoTime()) > 0) {
                                LockSupport.parkNanos(wait);
                            }
                            try {
                                append.run(i);
                                committed[i] = System.nanoTime();
                                if (committedWall != null) {
                                    committedWall[i] = micros(Instant.now());
                                }
                            } catch (Throwable e) {
                                failure.compareAndSet(null, e);
                            }
                        }
                    },
                    "bench-load-" + t);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("the load failed: " + failure.get(), failure.get());
        }
    }

    /** 4. Commit throughput of 16 clients appending one event, with and without NOTIFY. */
    void notifyCost() throws Exception {
        System.out.println("[notify] " + db.label);
        Stats.Samples plain = new Stats.Samples();
        Stats.Samples notifying = new Stats.Samples();
        Stats.Samples ratio = new Stats.Samples();
        RelayOptions options =
                Relays.options("notify-cost").listenForNotifications(true).build();
        db.reset();
        try (HikariDataSource relayPool = db.newPool("relay-notify", 6);
                OutboxRelay relay = Relays.relay(
                                db, relayPool, options, Relays.perRecord("notify", StartPosition.BEGINNING, r -> {}))
                        .start()) {
            measureWriters(plainWriter, 16, 1_000); // warm-up
            measureWriters(notifyingWriter, 16, 1_000);
            for (int rep = 0; rep < mode.reps(); rep++) {
                double p;
                double n;
                if (rep % 2 == 0) {
                    p = measureWriters(plainWriter, 16, mode.writerMillis());
                    n = measureWriters(notifyingWriter, 16, mode.writerMillis());
                } else {
                    n = measureWriters(notifyingWriter, 16, mode.writerMillis());
                    p = measureWriters(plainWriter, 16, mode.writerMillis());
                }
                plain.add(p);
                notifying.add(n);
                ratio.add(n / p);
            }
        }
        String section = Report.Sections.NOTIFY;
        report.add(section, db.label, "(b) 16 clients, 1 event each, no NOTIFY (relay running)", plain.stats(), "tx/s");
        report.add(
                section,
                db.label,
                "(b) 16 clients, 1 event each, with NOTIFY (relay listening)",
                notifying.stats(),
                "tx/s");
        report.add(section, db.label, "with NOTIFY / without (same run)", ratio.stats(), "x");
        db.reset();
    }

    private double measureWriters(OutboxWriter writer, int threads, long millis) throws Exception {
        return Load.closedLoop(db.pool, threads, millis, connection -> {
            int account = business.businessWrites(connection);
            writer.append(connection, BusinessTx.event("acct-" + account));
        });
    }
}
