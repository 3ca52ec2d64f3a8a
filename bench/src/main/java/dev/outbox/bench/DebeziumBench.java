package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxWriter;
import dev.outbox.testsupport.database.RestartablePostgres;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.sql.Connection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * 6. Against Debezium, on one private PostgreSQL with {@code wal_level=logical}: the embedded engine
 * with the PostgreSQL connector (pgoutput) capturing inserts into the queue table, beside our relay,
 * never both at once. Same backlog (written in 1,000-row transactions), same offered loads.
 */
final class DebeziumBench {

    static final String SLOT = "bench_slot";
    static final String PUBLICATION = "bench_pub";

    private final BenchDb db;
    private final RestartablePostgres server;
    private final Mode mode;
    private final Report report;
    private final OutboxWriter writer;

    DebeziumBench(BenchDb db, RestartablePostgres server, Mode mode, Report report) {
        this.db = db;
        this.server = server;
        this.mode = mode;
        this.report = report;
        this.writer = OutboxWriter.builder(db.dialect).tables(db.tables).build();
        db.execute("CREATE PUBLICATION " + PUBLICATION + " FOR TABLE " + db.event() + " WITH (publish = 'insert')");
    }

    void run() throws Exception {
        long n = mode.debeziumBacklog();
        System.out.println("[debezium] " + db.label + ", backlog " + n);
        String section = Report.Sections.DEBEZIUM;
        // warm-up of both (class loading, JIT)
        debeziumDrain(Math.min(n, 20_000));
        oursDrain(Math.min(n, 20_000));

        Stats.Samples dbzTotal = new Stats.Samples();
        Stats.Samples dbzSteady = new Stats.Samples();
        Stats.Samples ours = new Stats.Samples();
        Stats.Samples ratioTotal = new Stats.Samples();
        Stats.Samples ratioSteady = new Stats.Samples();
        for (int rep = 0; rep < mode.reps(); rep++) {
            double[] d = debeziumDrain(n);
            double o = oursDrain(n);
            dbzTotal.add(d[0]);
            dbzSteady.add(d[1]);
            ours.add(o);
            ratioTotal.add(o / d[0]);
            ratioSteady.add(o / d[1]);
        }
        String backlog = String.format("%,d events in 1,000-row transactions", n);
        report.add(
                section, db.label, "Debezium drain, engine start to last event, " + backlog, dbzTotal.stats(), "ev/s");
        report.add(section, db.label, "Debezium drain, steady (first to last event)", dbzSteady.stats(), "ev/s");
        report.add(
                section, db.label, "ours drain, sequencer + consumer, relay start to last event", ours.stats(), "ev/s");
        report.target(section, db.label, "ours / Debezium steady (same run)", ratioSteady.stats(), "x", 1.5, false, "");
        report.add(section, db.label, "ours / Debezium from engine start (same run)", ratioTotal.stats(), "x");

        // Debezium: one engine per poll setting, carrying every load and run in turn (an engine
        // start costs seconds); ours: a relay per run, as in section 3.
        int[] rates = {500, 2_000};
        int[] polls = {10, 500};
        LatencyBench.Percentiles[][][] dbz = new LatencyBench.Percentiles[polls.length][rates.length][mode.reps()];
        for (int p = 0; p < polls.length; p++) {
            try (LatencySession session = new LatencySession(polls[p])) {
                session.measure(500, 1_000); // warm-up
                for (int r = 0; r < rates.length; r++) {
                    for (int rep = 0; rep < mode.reps(); rep++) {
                        dbz[p][r][rep] = session.measure(rates[r], mode.latencyMillis());
                    }
                }
            }
        }
        LatencyBench ourLatency = new LatencyBench(db, mode, report);
        for (int r = 0; r < rates.length; r++) {
            int rate = rates[r];
            Stats.Samples[] dbz10 = samples();
            Stats.Samples[] dbz500 = samples();
            Stats.Samples[] oursJvm = samples();
            Stats.Samples[] oursNotify = samples();
            Stats.Samples p50Ratio = new Stats.Samples();
            Stats.Samples p99Ratio = new Stats.Samples();
            for (int rep = 0; rep < mode.reps(); rep++) {
                LatencyBench.Percentiles d10 = dbz[0][r][rep];
                LatencyBench.Percentiles d500 = dbz[1][r][rep];
                LatencyBench.Percentiles jvm = ourLatency.measure(LatencyBench.WakeUp.JVM, rate, mode.latencyMillis());
                LatencyBench.Percentiles notify =
                        ourLatency.measure(LatencyBench.WakeUp.NOTIFY, rate, mode.latencyMillis());
                add(dbz10, d10);
                add(dbz500, d500);
                add(oursJvm, jvm);
                add(oursNotify, notify);
                LatencyBench.Percentiles best = d10.p50() <= d500.p50() ? d10 : d500;
                p50Ratio.add(Math.min(jvm.p50(), notify.p50()) / best.p50());
                p99Ratio.add(Math.min(jvm.p99(), notify.p99()) / best.p99());
            }
            String load = String.format("%,d ev/s", rate);
            rows("Debezium, poll.interval.ms=10, " + load, dbz10);
            rows("Debezium, poll.interval.ms=500 (default), " + load, dbz500);
            rows("ours, in-JVM wake-up, " + load, oursJvm);
            rows("ours, LISTEN/NOTIFY, " + load, oursNotify);
            report.target(
                    section,
                    db.label,
                    "ours best p50 / Debezium best p50, " + load,
                    p50Ratio.stats(),
                    "x",
                    1.0,
                    true,
                    "below 1: ours lower");
            report.target(
                    section,
                    db.label,
                    "ours best p99 / Debezium best p99, " + load,
                    p99Ratio.stats(),
                    "x",
                    1.0,
                    true,
                    "below 1: ours lower");
        }
    }

    private static Stats.Samples[] samples() {
        return new Stats.Samples[] {new Stats.Samples(), new Stats.Samples(), new Stats.Samples()};
    }

    private static void add(Stats.Samples[] samples, LatencyBench.Percentiles p) {
        samples[0].add(p.p50());
        samples[1].add(p.p99());
        samples[2].add(p.p999());
    }

    private void rows(String what, Stats.Samples[] samples) {
        report.add(Report.Sections.DEBEZIUM, db.label, what + ", p50", samples[0].stats(), "ms");
        report.add(Report.Sections.DEBEZIUM, db.label, what + ", p99", samples[1].stats(), "ms");
        report.add(Report.Sections.DEBEZIUM, db.label, what + ", p99.9", samples[2].stats(), "ms");
    }

    /** Our relay draining the same backlog on the same server: events per second. */
    private double oursDrain(long n) throws Exception {
        db.reset();
        db.fillQueue(1, n, 1_000);
        try (HikariDataSource relayPool = db.newPool("relay-dbz-drain", 4)) {
            Relays.Counting counting = new Relays.Counting(n);
            long start;
            try (OutboxRelay relay =
                    Relays.relay(db, relayPool, Relays.options("ours-drain").build(), counting.consumer("drain"))) {
                start = System.nanoTime();
                relay.start();
                counting.await(900);
            }
            return n / ((counting.doneNanos - start) / 1e9);
        }
    }

    /** Debezium draining a backlog written after its slot was created: {from start, steady} ev/s. */
    private double[] debeziumDrain(long n) throws Exception {
        db.reset();
        createSlot();
        try {
            db.fillQueue(1, n, 1_000);
            AtomicLong count = new AtomicLong();
            AtomicLong first = new AtomicLong();
            AtomicLong last = new AtomicLong();
            long start = System.nanoTime();
            try (Engine engine = new Engine(500, index -> {
                long now = System.nanoTime();
                first.compareAndSet(0, now);
                if (count.incrementAndGet() == n) {
                    last.set(now);
                }
            })) {
                long deadline = start + 900_000_000_000L;
                while (last.get() == 0 && System.nanoTime() < deadline && engine.failure() == null) {
                    Thread.sleep(5);
                }
                if (last.get() == 0) {
                    throw new IllegalStateException(
                            "Debezium delivered " + count.get() + " of " + n + " events", engine.failure());
                }
            }
            return new double[] {n / ((last.get() - start) / 1e9), (n - 1) / ((last.get() - first.get()) / 1e9)};
        } finally {
            dropSlot();
        }
    }

    /**
     * A running Debezium engine on a fresh slot, streaming, that measures latency at offered loads:
     * commit returned to the change consumer called.
     */
    private final class LatencySession implements AutoCloseable {
        private final Engine engine;
        private final BusinessTx business = new BusinessTx(db);
        private final AtomicInteger probes = new AtomicInteger();
        private volatile Run run;
        private long nextIndex;

        /** The events of one measurement: indexes {@code base} to {@code base + committed.length}. */
        private record Run(long base, long[] committed, long[] handled, AtomicInteger seen) {}

        LatencySession(int pollMillis) throws Exception {
            db.reset();
            createSlot();
            try {
                engine = new Engine(pollMillis, this::delivered);
                // streaming has begun when a probe event comes through
                long deadline = System.nanoTime() + 120_000_000_000L;
                while (probes.get() == 0) {
                    if (System.nanoTime() > deadline || engine.failure() != null) {
                        throw new IllegalStateException("Debezium did not start streaming", engine.failure());
                    }
                    append(business, "probe");
                    Thread.sleep(100);
                }
            } catch (Exception | Error e) {
                dropSlot();
                throw e;
            }
        }

        private void delivered(long index) {
            long now = System.nanoTime();
            Run current = run;
            if (index < 0 || current == null) {
                probes.incrementAndGet();
                return;
            }
            long i = index - current.base();
            if (i >= 0 && i < current.handled().length && current.handled()[(int) i] == 0) {
                current.handled()[(int) i] = now;
                current.seen().incrementAndGet();
            }
        }

        LatencyBench.Percentiles measure(int rate, long millis) throws Exception {
            int total = (int) (rate * (LatencyBench.WARM_UP_MILLIS + millis) / 1000);
            int warm = (int) (rate * LatencyBench.WARM_UP_MILLIS / 1000);
            Run current = new Run(nextIndex, new long[total], new long[total], new AtomicInteger());
            nextIndex += total;
            run = current;
            LatencyBench.offer(rate, total, current.committed(), i -> append(business, "k-" + (current.base() + i)));
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (current.seen().get() < total && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (current.seen().get() < total) {
                throw new IllegalStateException(
                        "Debezium delivered " + current.seen().get() + " of " + total);
            }
            long[] latencies = new long[total - warm];
            for (int i = warm; i < total; i++) {
                latencies[i - warm] = Math.max(0, current.handled()[i] - current.committed()[i]);
            }
            return LatencyBench.percentiles(latencies);
        }

        @Override
        public void close() throws Exception {
            try {
                engine.close();
            } finally {
                dropSlot();
            }
        }
    }

    private void append(BusinessTx business, String key) throws Exception {
        try (Connection c = db.pool.getConnection()) {
            c.setAutoCommit(false);
            business.businessWrites(c);
            writer.append(c, BusinessTx.event(key));
            c.commit();
            c.setAutoCommit(true);
        }
    }

    private void createSlot() {
        db.execute("SELECT pg_create_logical_replication_slot('" + SLOT + "', 'pgoutput')");
    }

    private void dropSlot() {
        for (int attempt = 0; ; attempt++) {
            try {
                db.execute("SELECT pg_drop_replication_slot('" + SLOT + "')");
                return;
            } catch (RuntimeException e) {
                if (attempt >= 50) {
                    throw e;
                }
                try {
                    Thread.sleep(200); // the engine's walsender is still exiting
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * A running embedded engine: calls {@code onInsert} with the event's index (the number in
     * aggregate id {@code k-<n>}, -1 for others) for each insert it delivers.
     */
    private final class Engine implements AutoCloseable {
        private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
        private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "debezium"));
        private volatile Throwable failure;

        Engine(int pollMillis, LongConsumer onInsert) {
            Properties props = new Properties();
            props.setProperty("name", "bench");
            props.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
            props.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
            props.setProperty("offset.flush.interval.ms", "60000");
            props.setProperty("database.hostname", "127.0.0.1");
            props.setProperty("database.port", Integer.toString(server.port()));
            props.setProperty("database.user", "postgres");
            props.setProperty("database.password", "unused");
            props.setProperty("database.dbname", "postgres");
            props.setProperty("topic.prefix", "bench");
            props.setProperty("plugin.name", "pgoutput");
            props.setProperty("slot.name", SLOT);
            props.setProperty("publication.name", PUBLICATION);
            props.setProperty("publication.autocreate.mode", "disabled");
            props.setProperty("table.include.list", BenchDb.SCHEMA + "." + db.tables.eventTable());
            props.setProperty("snapshot.mode", "no_data");
            props.setProperty("poll.interval.ms", Integer.toString(pollMillis));
            this.engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                    .using(props)
                    .using((success, message, error) -> {
                        if (!success) {
                            failure = error != null ? error : new IllegalStateException(message);
                        }
                    })
                    .notifying(
                            (List<RecordChangeEvent<SourceRecord>> records,
                                    DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) -> {
                                for (RecordChangeEvent<SourceRecord> record : records) {
                                    deliver(record.record(), onInsert);
                                    committer.markProcessed(record);
                                }
                                committer.markBatchFinished();
                            })
                    .build();
            executor.execute(engine);
        }

        private void deliver(SourceRecord record, LongConsumer onInsert) {
            if (!(record.value() instanceof Struct value)
                    || value.schema().field("after") == null
                    || !"c".equals(value.getString("op"))) {
                return;
            }
            String key = value.getStruct("after").getString("aggregate_id");
            long index = -1;
            if (key.startsWith("k-")) {
                index = Long.parseLong(key.substring(2));
            }
            onInsert.accept(index);
        }

        Throwable failure() {
            return failure;
        }

        @Override
        public void close() throws Exception {
            engine.close();
            executor.shutdown();
            executor.awaitTermination(60, TimeUnit.SECONDS);
        }
    }
}
