package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxWriter;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * 8. Partitioned consumers against a slow handler: one that sleeps {@value #SLEEP_MILLIS} ms per
 * event (a search index that answers in a millisecond), with the consumer split into P = 1, 4 and
 * 16 partitions on one relay in this JVM, and into 16 over three relay processes (each a JVM of
 * its own, started and connected before the clock starts; see {@link #consumeInProcesses}).
 * Each run is a new consumer over one log, written by {@link
 * OutboxWriter} (so the entries carry their key hash) and sequenced before: the figure is the
 * consumer's alone, {@value #EVENTS_PER_PARTITION} events a partition, timed from the relays'
 * start (the balancer's first cycle and the takeovers included).
 */
final class PartitionScalingBench {

    static final int SLEEP_MILLIS = 1;
    static final int EVENTS_PER_PARTITION = 4_000;
    static final int KEYS = 4_096;
    static final List<Integer> PARTITIONS = List.of(1, 4, 16);
    /**
     * The relay processes' lease: a balancer cycle every 2 s, so that they share the partitions out
     * in about ten seconds before the clock starts (a relay hands over at most 2 a cycle).
     */
    static final Duration PROCESS_LEASE = Duration.ofSeconds(6);

    private final BenchDb db;
    private final Mode mode;
    private final Report report;

    PartitionScalingBench(BenchDb db, Mode mode, Report report) {
        this.db = db;
        this.mode = mode;
        this.report = report;
    }

    void run() throws Exception {
        int largest = PARTITIONS.get(PARTITIONS.size() - 1);
        long events = (long) EVENTS_PER_PARTITION * largest;
        System.out.println("[partition-scaling] " + db.label + ", " + events + " events, handler sleeps " + SLEEP_MILLIS
                + " ms per event");
        db.reset();
        write(events);
        sequence(events);
        List<Stats.Samples> byCount = new ArrayList<>();
        PARTITIONS.forEach(p -> byCount.add(new Stats.Samples()));
        Stats.Samples threeRelays = new Stats.Samples();
        List<Stats.Samples> ratios = new ArrayList<>();
        PARTITIONS.forEach(p -> ratios.add(new Stats.Samples()));
        Stats.Samples threeRelaysRatio = new Stats.Samples();
        int run = 0;
        for (int rep = 0; rep < mode.reps(); rep++) {
            double single = 0;
            for (int i = 0; i < PARTITIONS.size(); i++) {
                int p = PARTITIONS.get(i);
                double rate = consume("scale-" + run++, p);
                if (p == 1) {
                    single = rate;
                }
                byCount.get(i).add(rate);
                ratios.get(i).add(rate / single / p);
            }
            double rate = consumeInProcesses("scale-" + run++, largest, 3);
            threeRelays.add(rate);
            threeRelaysRatio.add(rate / single / largest);
        }
        String section = Report.Sections.PARTITION_SCALING;
        for (int i = 0; i < PARTITIONS.size(); i++) {
            int p = PARTITIONS.get(i);
            report.add(
                    section,
                    db.label,
                    "P = " + p + ", one relay",
                    byCount.get(i).stats(),
                    "ev/s");
        }
        report.add(section, db.label, "P = " + largest + ", three relay processes", threeRelays.stats(), "ev/s");
        for (int i = 1; i < PARTITIONS.size(); i++) {
            int p = PARTITIONS.get(i);
            report.target(
                    section,
                    db.label,
                    "P = " + p + " one relay / (P x the P = 1 figure), same run",
                    ratios.get(i).stats(),
                    "x",
                    0.8,
                    false,
                    "");
        }
        report.target(
                section,
                db.label,
                "P = " + largest + " three relay processes / (P x the P = 1 figure), same run",
                threeRelaysRatio.stats(),
                "x",
                0.8,
                false,
                "");
        db.reset();
    }

    private void write(long events) throws Exception {
        OutboxWriter writer = OutboxWriter.builder(db.dialect).tables(db.tables).build();
        for (long from = 0; from < events; from += 500) {
            long first = from;
            writer.inTransaction(db.pool, tx -> {
                for (long n = first; n < Math.min(events, first + 500); n++) {
                    tx.append(OutboxEvent.of("order", "k-" + (n % KEYS), "OrderPlaced", "{\"n\":" + n + "}"));
                }
                return null;
            });
        }
    }

    private void sequence(long events) throws Exception {
        try (HikariDataSource relayPool = db.newPool("scaling-sequencer", 4);
                OutboxRelay relay = Relays.relay(
                        db, relayPool, Relays.options("scaling-sequencer").build(), null)) {
            relay.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
            while (db.queryLong("SELECT next_seq FROM " + db.sequencer()) <= events) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the sequencer did not sequence the log in 600 s");
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * Events per second of a new consumer of {@code partitions} on one relay in this JVM; at the
     * largest P, which reads the whole log, prints where the time went: until the first event
     * reached a handler, and until the first and the last partition were done (the partitions'
     * sizes differ with the keys' hashes, and the largest bounds the run).
     */
    private double consume(String name, int partitions) throws Exception {
        long wanted = (long) EVENTS_PER_PARTITION * partitions;
        AtomicLong delivered = new AtomicLong();
        AtomicLong firstNanos = new AtomicLong();
        AtomicLong doneNanos = new AtomicLong();
        long[] partitionSizes = new long[partitions];
        for (long n = 0; n < wanted; n++) {
            partitionSizes[KeyPartitioner.partitionOf("k-" + (n % KEYS), partitions)]++;
        }
        AtomicLongArray partitionDone = new AtomicLongArray(partitions);
        AtomicLongArray partitionDoneNanos = new AtomicLongArray(partitions);
        OutboxConsumer consumer = sleepingConsumer(name, partitions, record -> {
            firstNanos.compareAndSet(0, System.nanoTime());
            int part = KeyPartitioner.partitionOf(record.aggregateId(), partitions);
            if (record.seq() <= wanted && partitionDone.incrementAndGet(part) == partitionSizes[part]) {
                partitionDoneNanos.set(part, System.nanoTime());
            }
            if (delivered.incrementAndGet() == wanted) {
                doneNanos.set(System.nanoTime());
            }
        });
        long start;
        try (HikariDataSource pool = db.newPool("scaling", Math.min(40, partitions + 4));
                OutboxRelay relay =
                        Relays.relay(db, pool, Relays.options("scaling").build(), consumer)) {
            start = System.nanoTime();
            relay.start();
            long deadline = start + TimeUnit.SECONDS.toNanos(600);
            while (doneNanos.get() == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "P = " + partitions + ": " + delivered.get() + " of " + wanted + " events in 600 s");
                }
                Thread.sleep(5);
            }
        }
        // Below the largest P the run ends at its count of events, before every partition is done.
        if (partitions == PARTITIONS.get(PARTITIONS.size() - 1)) {
            long firstDone = Long.MAX_VALUE;
            long lastDone = 0;
            for (int p = 0; p < partitions; p++) {
                firstDone = Math.min(firstDone, partitionDoneNanos.get(p) - start);
                lastDone = Math.max(lastDone, partitionDoneNanos.get(p) - start);
            }
            long smallest = Arrays.stream(partitionSizes).min().orElse(0);
            long largest = Arrays.stream(partitionSizes).max().orElse(0);
            System.out.printf(
                    "[partition-scaling] %s P = %d on one relay: first event after %d ms, first partition"
                            + " done after %d ms, last after %d ms; partitions of %d to %d events%n",
                    db.label,
                    partitions,
                    (firstNanos.get() - start) / 1_000_000,
                    firstDone / 1_000_000,
                    lastDone / 1_000_000,
                    smallest,
                    largest);
        }
        return wanted / ((doneNanos.get() - start) / 1e9);
    }

    /**
     * Events per second of a new consumer of {@code partitions} over {@code relays} relay processes
     * ({@link ScalingRelayProcess}), each in a JVM of its own: they start, and share the partitions
     * out while their handler is shut; timed from the moment they are told to go until every
     * partition's checkpoint reached the log's end, read every 10 ms.
     */
    private double consumeInProcesses(String name, int partitions, int relays) throws Exception {
        long events = (long) EVENTS_PER_PARTITION * partitions;
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> processes = new ArrayList<>();
        try {
            for (int r = 0; r < relays; r++) {
                List<String> command = new ArrayList<>(List.of(
                        java,
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        ScalingRelayProcess.class.getName()));
                command.addAll(db.connectionArguments());
                command.addAll(List.of(
                        name,
                        Integer.toString(partitions),
                        "scaling-process-" + r,
                        Long.toString(PROCESS_LEASE.toMillis())));
                processes.add(new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start());
            }
            // shared out: every partition held, by all the relays, none over its share
            String owners = "SELECT COUNT(*) FROM " + db.consumer() + " WHERE name = '" + name
                    + "' AND owner IS NOT NULL GROUP BY owner";
            long share = (partitions + relays - 1) / relays;
            long balanceDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (true) {
                List<Long> held = db.queryLongs(owners);
                if (held.size() == relays
                        && held.stream().mapToLong(Long::longValue).sum() == partitions
                        && held.stream().allMatch(n -> n <= share)) {
                    break;
                }
                if (System.nanoTime() > balanceDeadline) {
                    throw new IllegalStateException(
                            "the relay processes did not share the partitions out in 300 s: " + held);
                }
                Thread.sleep(100);
            }
            long start = System.nanoTime();
            for (Process process : processes) {
                tell(process, "go");
            }
            String done = "SELECT COUNT(*) FROM " + db.consumer() + " WHERE name = '" + name
                    + "' AND checkpoint_seq >= " + events;
            long deadline = start + TimeUnit.SECONDS.toNanos(600);
            while (db.queryLong(done) < partitions) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "P = " + partitions + " over " + relays + " processes: not every partition done in 600 s");
                }
                Thread.sleep(10);
            }
            return events / ((System.nanoTime() - start) / 1e9);
        } finally {
            for (Process process : processes) {
                tell(process, "stop");
            }
            for (Process process : processes) {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }

    private static void tell(Process process, String command) {
        try {
            Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            in.write(command + "\n");
            in.flush();
        } catch (IOException e) {
            // the process ended: nothing left to tell it
        }
    }

    /** Called after the handler slept for an event. */
    interface AfterEvent {
        void handled(OutboxRecord record);
    }

    /** Called before each batch: may throw to fail it. */
    interface BeforeBatch {
        void check() throws Exception;
    }

    /**
     * The consumer every figure runs: {@code partitions} partitions from the log's beginning, batches
     * of 100, a handler that sleeps {@value #SLEEP_MILLIS} ms per event and then tells {@code after}.
     */
    static OutboxConsumer sleepingConsumer(String name, int partitions, AfterEvent after) {
        return sleepingConsumer(name, partitions, RetryPolicy.DEFAULT, () -> {}, after);
    }

    /** {@link #sleepingConsumer(String, int, AfterEvent)} whose batches pass {@code before} first. */
    static OutboxConsumer sleepingConsumer(
            String name, int partitions, RetryPolicy retries, BeforeBatch before, AfterEvent after) {
        return OutboxConsumer.atLeastOnce(name, batch -> {
                    before.check();
                    for (OutboxRecord record : batch) {
                        Thread.sleep(SLEEP_MILLIS);
                        after.handled(record);
                    }
                })
                .partitions(partitions)
                .batchSize(100)
                .startFrom(StartPosition.BEGINNING)
                .retryPolicy(retries)
                .build();
    }
}
