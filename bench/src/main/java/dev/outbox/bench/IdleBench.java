package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayOptions;
import dev.outbox.StartPosition;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * 5. Idle cost: what an idle relay with default settings and one consumer asks of the server. Counted
 * at the JDBC level (statements executed through the relay's data source) everywhere, and on a
 * private PostgreSQL also by the server itself: {@code pg_stat_statements} (every statement,
 * including BEGIN/COMMIT and the driver's own) and {@code pg_stat_database.xact_commit}.
 */
final class IdleBench {

    /** Time for the adaptive poll to back off to its ceiling before counting. */
    static final long SETTLE_MILLIS = 5_000;

    private final BenchDb db;
    private final Mode mode;
    private final Report report;
    private final @Nullable String statsUrl;
    private final @Nullable String poolIsolation;

    /** {@code statsUrl}: a database of the same server where pg_stat_statements is installed. */
    IdleBench(BenchDb db, Mode mode, Report report, @Nullable String statsUrl) {
        this(db, mode, report, statsUrl, null);
    }

    /** {@code poolIsolation}: the relay's pool set to this level (a HikariCP name), or the default. */
    IdleBench(BenchDb db, Mode mode, Report report, @Nullable String statsUrl, @Nullable String poolIsolation) {
        this.db = db;
        this.mode = mode;
        this.report = report;
        this.statsUrl = statsUrl;
        this.poolIsolation = poolIsolation;
    }

    void run() throws Exception {
        System.out.println("[idle] " + db.label);
        db.reset();
        Stats.Samples jdbc = new Stats.Samples();
        Stats.Samples transactions = new Stats.Samples();
        Stats.Samples server = new Stats.Samples();
        Stats.Samples serverNoTx = new Stats.Samples();
        Stats.Samples xacts = new Stats.Samples();
        Stats.Samples driver = new Stats.Samples();
        List<String> breakdown = new ArrayList<>();
        try (HikariDataSource pool = db.newPool("relay-idle", 4, poolIsolation);
                DriverLogCounter driverLog = db.isPostgres() ? null : new DriverLogCounter()) {
            CountingDataSource counting = new CountingDataSource(pool);
            try (OutboxRelay relay = Relays.relay(
                            db,
                            counting,
                            RelayOptions.builder().build(),
                            Relays.perRecord("idle", StartPosition.HEAD, r -> {}))
                    .start()) {
                Thread.sleep(SETTLE_MILLIS);
                if (statsUrl != null) {
                    PgStatStatements.reset(statsUrl, db.user);
                }
                long window = mode.idleMillis() / mode.reps();
                for (int rep = 0; rep < mode.reps(); rep++) {
                    long[] before = serverCounts();
                    counting.resetCounts();
                    if (driverLog != null) {
                        driverLog.reset(true);
                    }
                    long start = System.nanoTime();
                    Thread.sleep(window);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    jdbc.add(counting.statements.sum() / seconds);
                    if (driverLog != null) {
                        driver.add(driverLog.queries.sum() / seconds);
                        if (rep == mode.reps() - 1) {
                            driverLog.byQuery.forEach((sql, n) -> breakdown.add(n.sum() + " × `" + sql + "`"));
                        }
                    }
                    transactions.add(counting.commits.sum() / seconds);
                    long[] after = serverCounts();
                    if (before != null && after != null) {
                        server.add((after[0] - before[0]) / seconds);
                        serverNoTx.add((after[1] - before[1]) / seconds);
                        xacts.add((after[2] - before[2]) / seconds);
                    }
                    if (rep == mode.reps() - 1 && statsUrl != null) {
                        breakdown.addAll(PgStatStatements.top(statsUrl, db.user));
                    }
                }
            }
        }
        String section = Report.Sections.IDLE;
        String pool = poolIsolation == null
                ? ""
                : ", relay pool in " + poolIsolation.replace("TRANSACTION_", "").replace('_', ' ');
        // The measuring connections (opened per reading) are not counted: their statements mention
        // pg_stat, and their driver's SET application_name is left out with them; the relay's pooled
        // connections were opened before the first window.
        String window = String.format("%d windows of %.0f s", mode.reps(), mode.idleMillis() / mode.reps() / 1000.0);
        report.add(
                section,
                db.label,
                "statements/s the relay executed (JDBC level, idle relay + 1 consumer)" + pool,
                jdbc.stats(),
                "/s",
                null,
                null,
                window);
        report.add(section, db.label, "commits/s of the idle relay (JDBC level)" + pool, transactions.stats(), "/s");
        if (!db.isPostgres()) {
            report.target(
                    section,
                    db.label,
                    "queries/s the driver sent to the server (Connector/J debug log)" + pool,
                    driver.stats(),
                    "/s",
                    1,
                    true,
                    "includes the driver's own isolation checks and autocommit switches");
            report.note("idle relay on " + db.label + pool + ", queries the driver sent in the last window: "
                    + String.join("; ", breakdown));
        }
        if (statsUrl != null) {
            report.target(
                    section,
                    db.label,
                    "statements/s seen by the server, all (pg_stat_statements)",
                    server.stats(),
                    "/s",
                    1,
                    true,
                    "includes BEGIN/COMMIT and the driver's own statements");
            report.add(
                    section,
                    db.label,
                    "statements/s seen by the server, without BEGIN/COMMIT",
                    serverNoTx.stats(),
                    "/s");
            report.add(section, db.label, "transactions/s (pg_stat_database.xact_commit)", xacts.stats(), "/s");
            report.note("idle relay on " + db.label + ", statements over the last window (calls, statement): "
                    + String.join("; ", breakdown));
        }
    }

    /** {all statements, statements without BEGIN/COMMIT, xact_commit} of the bench database. */
    private long @Nullable [] serverCounts() throws SQLException {
        if (statsUrl == null) {
            return null;
        }
        try (Connection c = DriverManager.getConnection(statsUrl, db.user, null);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT"
                        + " (SELECT coalesce(sum(calls), 0) FROM pg_stat_statements st WHERE st.dbid = d.oid"
                        + "   AND st.query NOT ILIKE '%pg_stat%' AND st.query NOT ILIKE 'SET application_name%'),"
                        + " (SELECT coalesce(sum(calls), 0) FROM pg_stat_statements st WHERE st.dbid = d.oid"
                        + "   AND st.query NOT ILIKE '%pg_stat%' AND st.query NOT ILIKE 'SET application_name%' AND upper(st.query) NOT IN ('BEGIN', 'COMMIT')),"
                        + " (SELECT xact_commit FROM pg_stat_database sd WHERE sd.datid = d.oid)"
                        + " FROM pg_database d WHERE d.datname = current_database()")) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }
}
