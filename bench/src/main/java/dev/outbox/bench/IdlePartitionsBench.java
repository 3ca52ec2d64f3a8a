package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * 5b. Idle cost of partitioned consumers: {@value #RELAYS} relays with default settings, each
 * registering {@value #CONSUMERS} consumers of {@value #PARTITIONS} partitions, idle once the
 * partitions are shared out. Statements each relay executed (JDBC level, its own counting data
 * source), per relay and in total. Target: at most one a second per relay, so that the idle cost
 * does not grow with partitions.
 */
final class IdlePartitionsBench {

    static final int RELAYS = 3;
    static final int CONSUMERS = 2;
    static final int PARTITIONS = 16;
    /** The longest wait for the relays to share the partitions out (cycles of a third of the lease). */
    static final long BALANCE_MILLIS = 180_000;
    /** The shortest window: three balancer cycles of the default lease. */
    static final long WINDOW_MILLIS = 30_000;

    private final BenchDb db;
    private final Mode mode;
    private final Report report;
    private final @Nullable String statsUrl;

    /**
     * {@code statsUrl}: a database of the same PostgreSQL server where pg_stat_statements is
     * installed, to count at the server; {@code null} on PostgreSQL counts at the JDBC level only.
     * On MariaDB the server's {@code Questions} counter is read (every statement a client sent,
     * the drivers' own included).
     */
    IdlePartitionsBench(BenchDb db, Mode mode, Report report, @Nullable String statsUrl) {
        this.db = db;
        this.mode = mode;
        this.report = report;
        this.statsUrl = statsUrl;
    }

    void run() throws Exception {
        System.out.println("[idle-partitions] " + db.label + ", " + RELAYS + " relays x " + CONSUMERS + " consumers x "
                + PARTITIONS + " partitions");
        db.reset();
        List<HikariDataSource> pools = new ArrayList<>();
        List<CountingDataSource> counters = new ArrayList<>();
        List<OutboxRelay> relays = new ArrayList<>();
        Stats.Samples perRelay = new Stats.Samples();
        Stats.Samples busiest = new Stats.Samples();
        Stats.Samples total = new Stats.Samples();
        Stats.Samples atServer = new Stats.Samples();
        boolean serverCounted = false;
        List<String> breakdown = new ArrayList<>();
        try (DriverLogCounter driverLog = db.isPostgres() ? null : new DriverLogCounter()) {
            for (int r = 0; r < RELAYS; r++) {
                HikariDataSource pool = db.newPool("idle-partitions-" + r, 8);
                pools.add(pool);
                CountingDataSource counting = new CountingDataSource(pool);
                counters.add(counting);
                OutboxRelay.Builder builder = OutboxRelay.builder(counting, db.dialect)
                        .tables(db.tables)
                        .options(RelayOptions.builder().relayId("idle-" + r).build());
                for (int c = 0; c < CONSUMERS; c++) {
                    builder.consumer(OutboxConsumer.atLeastOnce("idle-split-" + c, batch -> {})
                            .partitions(PARTITIONS)
                            .build());
                }
                relays.add(builder.build().start());
            }
            long balanceStart = System.nanoTime();
            while (!balanced(relays)) {
                if ((System.nanoTime() - balanceStart) / 1_000_000 > BALANCE_MILLIS) {
                    throw new IllegalStateException("the relays did not share the partitions out in "
                            + BALANCE_MILLIS / 1000 + " s: " + shares(relays));
                }
                Thread.sleep(100);
                if ((System.nanoTime() - balanceStart) / 1_000_000 % 10_000 < 100) {
                    System.out.println("[idle-partitions] " + shares(relays));
                }
            }
            double balanceSeconds = (System.nanoTime() - balanceStart) / 1e9;
            Thread.sleep(IdleBench.SETTLE_MILLIS);
            // whole balancer cycles (a third of the default 30 s lease), not a share of one
            long window = Math.max(mode.idleMillis() / mode.reps(), WINDOW_MILLIS);
            for (int rep = 0; rep < mode.reps(); rep++) {
                boolean last = rep == mode.reps() - 1;
                if (last && driverLog != null) {
                    driverLog.reset(true);
                } else if (last && statsUrl != null) {
                    PgStatStatements.reset(statsUrl, db.user);
                }
                Long serverBefore = serverStatements();
                counters.forEach(CountingDataSource::resetCounts);
                long start = System.nanoTime();
                Thread.sleep(window);
                double seconds = (System.nanoTime() - start) / 1e9;
                Long serverAfter = serverStatements();
                if (serverBefore != null && serverAfter != null) {
                    // less the reading itself (MariaDB counts it; the PostgreSQL query filters it out)
                    atServer.add((serverAfter - serverBefore - (db.isPostgres() ? 0 : 1)) / seconds);
                    serverCounted = true;
                }
                double sum = 0;
                double max = 0;
                for (CountingDataSource counting : counters) {
                    double rate = counting.statements.sum() / seconds;
                    sum += rate;
                    max = Math.max(max, rate);
                }
                if (last && driverLog != null) {
                    driverLog.byQuery.forEach((sql, n) -> breakdown.add(n.sum() + " × `" + sql + "`"));
                } else if (last && statsUrl != null) {
                    breakdown.addAll(PgStatStatements.top(statsUrl, db.user));
                }
                perRelay.add(sum / RELAYS);
                busiest.add(max);
                total.add(sum);
            }
            report.note(String.format(
                    "idle partitions on %s: the %d relays shared %d partitions out in %.1f s from their start"
                            + " (default 30 s lease: a cycle every 10 s, at most 2 released per cycle)",
                    db.label, RELAYS, CONSUMERS * PARTITIONS, balanceSeconds));
            if (!breakdown.isEmpty()) {
                report.note(String.format(
                        "idle partitions on %s, what the server got in the last window of %.0f s (count, statement): %s",
                        db.label, window / 1000.0, String.join("; ", breakdown)));
            }
        } finally {
            relays.forEach(OutboxRelay::close);
            pools.forEach(HikariDataSource::close);
        }
        String section = Report.Sections.IDLE;
        String setup = RELAYS + " relays x " + CONSUMERS + " consumers x " + PARTITIONS + " partitions, idle";
        report.target(
                section,
                db.label,
                "statements/s per relay (JDBC level, mean), " + setup,
                perRelay.stats(),
                "/s",
                1,
                true,
                "");
        report.target(
                section, db.label, "statements/s of the busiest relay, " + setup, busiest.stats(), "/s", 1, true, "");
        report.add(section, db.label, "statements/s of all relays, " + setup, total.stats(), "/s");
        if (serverCounted) {
            report.target(
                    section,
                    db.label,
                    "statements/s seen by the server, all relays, " + setup,
                    atServer.stats(),
                    "/s",
                    RELAYS,
                    true,
                    db.isPostgres()
                            ? "pg_stat_statements, BEGIN/COMMIT included; target: 1 per relay"
                            : "the Questions counter, the driver's own statements included; target: 1 per relay");
        }
        db.reset();
    }

    /** Statements the server counted so far for the bench database, or {@code null} when it cannot say. */
    private @Nullable Long serverStatements() throws SQLException {
        if (db.isPostgres() && statsUrl == null) {
            return null;
        }
        String sql = db.isPostgres()
                ? "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements st JOIN pg_database d ON d.oid = st.dbid"
                        + " WHERE d.datname = current_database() AND st.query NOT ILIKE '%pg_stat%'"
                        + " AND st.query NOT ILIKE 'SET application_name%'"
                : "SHOW GLOBAL STATUS LIKE 'Questions'";
        try (Connection c = db.isPostgres()
                        ? DriverManager.getConnection(statsUrl, db.user, null)
                        : db.pool.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(db.isPostgres() ? 1 : 2);
        }
    }

    /** The partitions each relay runs, per consumer: what an unbalanced state looks like. */
    private static String shares(List<OutboxRelay> relays) {
        List<String> shares = new ArrayList<>();
        for (int c = 0; c < CONSUMERS; c++) {
            List<Integer> counts = new ArrayList<>();
            for (OutboxRelay relay : relays) {
                counts.add(relay.ownedPartitions("idle-split-" + c).size());
            }
            shares.add("idle-split-" + c + " " + counts);
        }
        return String.join(", ", shares);
    }

    /**
     * Every partition runs in exactly one relay, and none holds more than its share (the rule's
     * resting state: 16 over 3 relays may rest at 6, 6 and 4, whose busiest relay is as busy as at
     * 6, 5 and 5).
     */
    private static boolean balanced(List<OutboxRelay> relays) {
        int share = (PARTITIONS + RELAYS - 1) / RELAYS;
        for (int c = 0; c < CONSUMERS; c++) {
            int owned = 0;
            for (OutboxRelay relay : relays) {
                int mine = relay.ownedPartitions("idle-split-" + c).size();
                if (mine > share) {
                    return false;
                }
                owned += mine;
            }
            if (owned != PARTITIONS) {
                return false;
            }
        }
        return true;
    }
}
