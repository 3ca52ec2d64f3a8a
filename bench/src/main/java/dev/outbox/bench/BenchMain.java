package dev.outbox.bench;

import dev.outbox.localkafka.LocalConnect;
import dev.outbox.localkafka.LocalKafka;
import dev.outbox.testsupport.database.RestartablePostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the benchmarks and writes BENCHMARKS.md. Usage (see BENCHMARKS.md):
 *
 * <pre>
 * bench/run.sh quick|full [--only=writer,drain,curve,latency,notify,idle,debezium,partition-read,partition-scaling,idle-partitions,kafka,connect,operations]
 *     [--db=postgres,mariadb] [--reps=N] [--backlog=N] [--wait-quiet[=LOAD[,MAX_SECONDS]]] [--out=FILE]
 * </pre>
 */
public final class BenchMain {

    /**
     * Most backlog of each point of the batch-size curves: long enough to be steady, short enough for 30
     * points. Each point drains half the drain section's backlog at most, which keeps quick mode near 8 minutes.
     */
    static final long CURVE_BACKLOG = 200_000;

    static final String END_MARKER = "<!-- end of generated results: text below is kept by the next run -->";

    /**
     * The private PostgreSQL of the idle and Debezium sections: {@code wal_level=logical} (Debezium
     * needs it) and {@code pg_stat_statements}; otherwise the settings of the shared server (fsync and
     * synchronous_commit on, shared_buffers 128MB), not the test server's fsync off.
     */
    private static final Map<String, String> PRIVATE_POSTGRES_SETTINGS = Map.of(
            "wal_level", "logical",
            "max_wal_senders", "4",
            "max_replication_slots", "4",
            "shared_preload_libraries", "pg_stat_statements",
            "fsync", "on",
            "synchronous_commit", "on",
            "shared_buffers", "128MB",
            "max_connections", "60");

    /** Liquibase logs through java.util.logging; kept referenced so the level sticks. */
    private static final Logger LIQUIBASE = Logger.getLogger("liquibase");

    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        LIQUIBASE.setLevel(Level.WARNING);
        System.setProperty("liquibase.showSummaryOutput", "log");
        System.setProperty("liquibase.showBanner", "false");
        Mode mode = Mode.quick();
        Set<String> only = Set.of(
                "writer",
                "drain",
                "curve",
                "latency",
                "notify",
                "idle",
                "debezium",
                "partition-read",
                "partition-scaling",
                "kafka",
                "connect",
                "operations");
        Set<String> databases = Set.of("postgres", "mariadb");
        double quietLoad = -1;
        long quietMaxSeconds = 300;
        Path out = Path.of("BENCHMARKS.md");
        String pgUrl = "jdbc:postgresql://127.0.0.1:5432/test";
        String mariaHost = "127.0.0.1:3306";
        for (String arg : args) {
            if (arg.equals("quick")) {
                mode = Mode.quick();
            } else if (arg.equals("full")) {
                mode = Mode.full();
            } else if (arg.startsWith("--only=")) {
                only = Set.of(arg.substring(7).split(","));
            } else if (arg.startsWith("--db=")) {
                databases = Set.of(arg.substring(5).split(","));
            } else if (arg.startsWith("--reps=")) {
                int reps = Integer.parseInt(arg.substring(7));
                mode = new Mode(
                        mode.name(),
                        reps,
                        mode.writerMillis(),
                        mode.backlog(),
                        mode.batchCurve(),
                        mode.consumerBatchCurve(),
                        mode.latencyMillis(),
                        mode.debeziumBacklog(),
                        mode.idleMillis());
            } else if (arg.startsWith("--backlog=")) {
                long backlog = Long.parseLong(arg.substring(10));
                mode = new Mode(
                        mode.name(),
                        mode.reps(),
                        mode.writerMillis(),
                        backlog,
                        mode.batchCurve(),
                        mode.consumerBatchCurve(),
                        mode.latencyMillis(),
                        backlog,
                        mode.idleMillis());
            } else if (arg.equals("--wait-quiet")) {
                quietLoad = 0.5;
            } else if (arg.startsWith("--wait-quiet=")) {
                String[] parts = arg.substring(13).split(",");
                quietLoad = Double.parseDouble(parts[0]);
                if (parts.length > 1) {
                    quietMaxSeconds = Long.parseLong(parts[1]);
                }
            } else if (arg.startsWith("--out=")) {
                out = Path.of(arg.substring(6));
            } else if (arg.startsWith("--postgres-url=")) {
                pgUrl = arg.substring(15);
            } else if (arg.startsWith("--mariadb=")) {
                mariaHost = arg.substring(10);
            } else {
                throw new IllegalArgumentException("unknown argument " + arg + "; see BENCHMARKS.md");
            }
        }
        String started = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        long t0 = System.nanoTime();
        Report report = new Report();
        Map<String, Map<String, String>> servers = new LinkedHashMap<>();
        List<String> quiet = new ArrayList<>();
        System.out.println("outbox bench, " + mode.name() + " mode, " + Machine.describe());
        System.out.println(Machine.loadText());

        Quiet gate = new Quiet(quietLoad, quietMaxSeconds, quiet, t0);
        if (databases.contains("postgres")) {
            try (BenchDb pg = BenchDb.postgres("PostgreSQL (shared)", pgUrl, "postgres")) {
                servers.put(pg.label, pg.serverSettings());
                runOn(pg, mode, only, report, gate, true);
            }
        }
        if (databases.contains("mariadb")) {
            try (BenchDb maria = BenchDb.mariaDb("MariaDB", mariaHost, "root")) {
                servers.put(maria.label, maria.serverSettings());
                runOn(maria, mode, only, report, gate, false);
            }
        }
        if (databases.contains("postgres")
                && (only.contains("debezium") || only.contains("idle") || only.contains("idle-partitions"))) {
            try (RestartablePostgres server = RestartablePostgres.launch(PRIVATE_POSTGRES_SETTINGS);
                    BenchDb pg = BenchDb.postgres("PostgreSQL (private, logical)", server.url(), "postgres")) {
                pg.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public");
                servers.put(pg.label, pg.serverSettings());
                if (only.contains("idle")) {
                    gate.await("idle, " + pg.label);
                    new IdleBench(pg, mode, report, server.url()).run();
                }
                if (only.contains("idle-partitions")) {
                    gate.await("idle-partitions, " + pg.label);
                    new IdlePartitionsBench(pg, mode, report, server.url()).run();
                }
                if (only.contains("debezium")) {
                    gate.await("debezium, " + pg.label);
                    new DebeziumBench(pg, server, mode, report).run();
                }
            }
        }
        double minutes = (System.nanoTime() - t0) / 60e9;
        System.out.println();
        System.out.println("=== results (" + mode.name() + " mode, " + String.format("%.1f", minutes) + " min) ===");
        for (Report.Row row : report.rows()) {
            System.out.println(Report.line(row));
        }
        String header = header(mode, started, minutes, servers, quiet, args);
        String kept = "";
        if (Files.exists(out)) {
            String old = Files.readString(out, StandardCharsets.UTF_8);
            int at = old.indexOf(END_MARKER);
            if (at >= 0) {
                kept = old.substring(at + END_MARKER.length());
            }
        }
        report.write(out, header, "\n" + END_MARKER + kept);
        System.out.println("written to " + out.toAbsolutePath());
    }

    private static void runOn(BenchDb db, Mode mode, Set<String> only, Report report, Quiet gate, boolean postgres)
            throws Exception {
        if (only.contains("writer")) {
            gate.await("writer, " + db.label);
            new WriterBench(db, mode, report).run();
        }
        if (only.contains("drain")) {
            gate.await("drain, " + db.label);
            new DrainBench(db, mode, report, mode.backlog()).run();
        }
        if (only.contains("curve")) {
            gate.await("curve, " + db.label);
            new DrainBench(db, mode, report, Math.min(mode.backlog() / 2, CURVE_BACKLOG))
                    .curve(mode.batchCurve(), mode.consumerBatchCurve());
        }
        if (only.contains("latency")) {
            gate.await("latency, " + db.label);
            List<LatencyBench.WakeUp> wakeUps = postgres
                    ? List.of(LatencyBench.WakeUp.POLL, LatencyBench.WakeUp.JVM, LatencyBench.WakeUp.NOTIFY)
                    : List.of(LatencyBench.WakeUp.POLL, LatencyBench.WakeUp.JVM);
            new LatencyBench(db, mode, report).run(wakeUps);
        }
        if (only.contains("notify") && postgres) {
            gate.await("notify, " + db.label);
            new LatencyBench(db, mode, report).notifyCost();
        }
        if (only.contains("partition-read")) {
            gate.await("partition-read, " + db.label);
            new PartitionReadBench(db, mode, report).run();
        }
        if (only.contains("partition-scaling")) {
            gate.await("partition-scaling, " + db.label);
            new PartitionScalingBench(db, mode, report).run();
        }
        if (only.contains("kafka")) {
            gate.await("kafka, " + db.label);
            try (LocalKafka kafka = LocalKafka.builder().start()) {
                new KafkaBench(db, mode, report, kafka).run();
            }
        }
        if (only.contains("connect")) {
            gate.await("connect, " + db.label);
            try (LocalKafka kafka = LocalKafka.builder().start();
                    LocalConnect connect = LocalConnect.builder(kafka)
                            .pluginPath(ConnectBench.pluginPath())
                            .start()) {
                new ConnectBench(db, mode, report, kafka, connect).run();
            }
        }
        if (only.contains("operations")) {
            gate.await("operations, " + db.label);
            new OperationsBench(db, mode, report).run();
        }
        if (only.contains("idle-partitions") && !postgres) { // PostgreSQL: on the private server, counted there
            gate.await("idle-partitions, " + db.label);
            new IdlePartitionsBench(db, mode, report, null).run();
        }
        if (only.contains("idle") && !postgres) {
            gate.await("idle, " + db.label);
            new IdleBench(db, mode, report, null).run();
            // MariaDB's default is REPEATABLE READ: the relay sets READ COMMITTED on each borrowed
            // connection and the pool sets it back on return, unless the pool is in READ COMMITTED.
            new IdleBench(db, mode, report, null, "TRANSACTION_READ_COMMITTED").run();
        }
    }

    /** Before each section: wait for a quiet machine if asked, and record when it started and how quiet it was. */
    record Quiet(double threshold, long maxSeconds, List<String> log, long startNanos) {
        void await(String section) throws InterruptedException {
            String state = threshold > 0
                    ? Machine.waitQuiet(threshold, 60_000, maxSeconds * 1000)
                    : "not waited for (no --wait-quiet), " + Machine.loadText();
            String startedAt = String.format("started %.1f min into the run", (System.nanoTime() - startNanos) / 60e9);
            log.add(section + ": " + startedAt + ", " + state);
            System.out.println("[" + section + "] " + startedAt + ", " + state);
        }
    }

    private static String header(
            Mode mode,
            String started,
            double minutes,
            Map<String, Map<String, String>> servers,
            List<String> quiet,
            String[] args) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Generated by `bench/run.sh ")
                .append(String.join(" ", args))
                .append("`; the text after the results is kept from run to run.\n\n");
        md.append("- **Date:** ").append(started).append('\n');
        md.append("- **Mode:** ")
                .append(mode.name())
                .append(String.format(
                        ", %d runs per figure, writer runs of %.1f s, backlog %,d (Debezium section %,d),"
                                + " latency runs of %.0f s after 1 s of warm-up, idle window %.0f s; took %.1f min",
                        mode.reps(),
                        mode.writerMillis() / 1000.0,
                        mode.backlog(),
                        mode.debeziumBacklog(),
                        mode.latencyMillis() / 1000.0,
                        mode.idleMillis() / 1000.0,
                        minutes))
                .append('\n');
        md.append("- **Machine:** ").append(Machine.describe()).append('\n');
        for (Map.Entry<String, Map<String, String>> server : servers.entrySet()) {
            md.append("- **").append(server.getKey()).append(":** ");
            List<String> settings = new ArrayList<>();
            server.getValue().forEach((k, v) -> settings.add(k + "=" + v));
            md.append(String.join(", ", settings)).append('\n');
        }
        md.append(
                "- **When each section started and how quiet the machine was** (1-minute load average; 2 cores shared with"
                        + " other engineers' builds and tests):\n");
        for (String line : quiet) {
            md.append("  - ").append(line).append('\n');
        }
        md.append("\nEvery figure is the median over the runs, with its spread (half the range, as ± of the median)"
                + " and min – max. Every ratio is computed within each run from two figures measured back to back"
                + " in that run, then the median of those ratios is reported.\n");
        return md.toString();
    }
}
