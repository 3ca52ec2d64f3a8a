package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayOptions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * 2. Drain of a backlog: the sequencer alone, a no-op consumer alone, both, and the same rows moved
 * by the best hand-written SQL for this design (the ceiling). Each run starts from an empty log and
 * a queue filled server-side with ~200-byte JSON payloads, vacuumed and analysed.
 */
final class DrainBench {

    /** Batch of the hand-written ceiling: the trial used 5,000-row batches. */
    static final int CEILING_BATCH = 5_000;

    private final BenchDb db;
    private final Mode mode;
    private final Report report;
    private final long backlog;

    DrainBench(BenchDb db, Mode mode, Report report, long backlog) {
        this.db = db;
        this.mode = mode;
        this.report = report;
        this.backlog = backlog;
    }

    void run() throws Exception {
        System.out.println("[drain] " + db.label + ", backlog " + backlog);
        String n = String.format("%,d", backlog);
        Stats.Samples sequencer = new Stats.Samples();
        Stats.Samples consumer = new Stats.Samples();
        Stats.Samples both = new Stats.Samples();
        Stats.Samples readCeiling = new Stats.Samples();
        Stats.Samples ceilingTwo = new Stats.Samples();
        Stats.Samples ceilingCte = new Stats.Samples();
        Stats.Samples bothOverCeiling = new Stats.Samples();
        Stats.Samples sequencerOverCeiling = new Stats.Samples();
        Stats.Samples consumerOverRead = new Stats.Samples();
        // warm-up on a small backlog
        db.reset();
        db.fillQueue(1, Math.min(backlog, 50_000), 10_000);
        both(Math.min(backlog, 50_000));
        for (int rep = 0; rep < mode.reps(); rep++) {
            db.reset();
            db.fillQueue(1, backlog, 50_000);
            double s = sequencerAlone(RelayOptions.defaults().sequencerBatchSize());
            // A log just filled has no statistics: without them PostgreSQL plans the keyset read as
            // a sequential scan and a sort (EXPLAIN in BENCHMARKS.md); autovacuum analyses it soon.
            db.execute(db.isPostgres() ? "ANALYZE " + db.log() : "ANALYZE TABLE " + db.log());
            double c = consumerAlone();
            double r = readCeiling();
            db.reset();
            db.fillQueue(1, backlog, 50_000);
            double b = both(backlog);
            db.reset();
            db.fillQueue(1, backlog, 50_000);
            double two = ceiling(false);
            double best = two;
            if (db.isPostgres()) {
                db.reset();
                db.fillQueue(1, backlog, 50_000);
                double cte = ceiling(true);
                ceilingCte.add(cte);
                best = Math.max(best, cte);
            }
            sequencer.add(s);
            consumer.add(c);
            both.add(b);
            readCeiling.add(r);
            ceilingTwo.add(two);
            bothOverCeiling.add(b / best);
            sequencerOverCeiling.add(s / best);
            consumerOverRead.add(c / r);
        }
        String section = Report.Sections.DRAIN;
        report.add(section, db.label, "sequencer alone (default batch), " + n, sequencer.stats(), "ev/s");
        report.add(section, db.label, "consumer alone (no-op handler, default batch), " + n, consumer.stats(), "ev/s");
        double endToEndTarget = db.isPostgres() ? 100_000 : 50_000;
        report.target(
                section,
                db.label,
                "sequencer + consumer, end to end, " + n,
                both.stats(),
                "ev/s",
                endToEndTarget,
                false,
                "");
        report.add(
                section,
                db.label,
                "ceiling: hand-written INSERT...SELECT + DELETE, " + CEILING_BATCH + "-row batches",
                ceilingTwo.stats(),
                "ev/s");
        if (db.isPostgres()) {
            report.add(
                    section,
                    db.label,
                    "ceiling: hand-written WITH (DELETE...RETURNING) INSERT, " + CEILING_BATCH + "-row batches",
                    ceilingCte.stats(),
                    "ev/s");
        }
        report.add(
                section,
                db.label,
                "hand-written keyset read of the log, " + CEILING_BATCH + " rows a query (consumer's ceiling)",
                readCeiling.stats(),
                "ev/s");
        if (db.isPostgres()) {
            report.target(
                    section,
                    db.label,
                    "end to end / best hand-written move (same run)",
                    bothOverCeiling.stats(),
                    "x",
                    0.7,
                    false,
                    "");
        } else {
            report.add(
                    section, db.label, "end to end / best hand-written move (same run)", bothOverCeiling.stats(), "x");
        }
        report.add(section, db.label, "sequencer alone / best hand-written move", sequencerOverCeiling.stats(), "x");
        report.add(section, db.label, "consumer alone / hand-written keyset read", consumerOverRead.stats(), "x");
        db.reset();
    }

    /** 2b. Sequencer throughput against its batch size; end to end against the consumer's batch size. */
    void curve(List<Integer> batchSizes, List<Integer> consumerBatchSizes) throws Exception {
        System.out.println("[curve] " + db.label + ", backlog " + backlog);
        for (int batch : batchSizes) {
            curvePoint("sequencer alone, sequencerBatchSize", batch, () -> sequencerAlone(batch));
        }
        for (int batch : batchSizes) {
            curvePoint("end to end, sequencerBatchSize", batch, () -> both(backlog, 0, batch));
        }
        for (int batch : consumerBatchSizes) {
            curvePoint("end to end, consumer batchSize", batch, () -> both(backlog, batch));
        }
        db.reset();
    }

    /** One point of a curve: {@code drain} of a fresh backlog, once per run, reported as a median. */
    private void curvePoint(String figure, int batch, Drain drain) throws Exception {
        Stats.Samples samples = new Stats.Samples();
        for (int rep = 0; rep < mode.reps(); rep++) {
            db.reset();
            db.fillQueue(1, backlog, 50_000);
            samples.add(drain.eventsPerSecond());
        }
        report.add(
                Report.Sections.CURVE,
                db.label,
                String.format("%s %,d, backlog %,d", figure, batch, backlog),
                samples.stats(),
                "ev/s");
    }

    @FunctionalInterface
    private interface Drain {
        double eventsPerSecond() throws Exception;
    }

    private double sequencerAlone(int batchSize) throws Exception {
        try (HikariDataSource relayPool = db.newPool("relay-drain", 4)) {
            RelayOptions options =
                    Relays.options("drain-seq").sequencerBatchSize(batchSize).build();
            long start;
            long end;
            try (OutboxRelay relay = Relays.relay(db, relayPool, options, null)) {
                start = System.nanoTime();
                relay.start();
                waitForNextSeq(backlog + 1, start);
                end = System.nanoTime();
            }
            return backlog / ((end - start) / 1e9);
        }
    }

    private void waitForNextSeq(long nextSeq, long start) throws Exception {
        String sql = "SELECT next_seq FROM " + db.sequencer();
        try (Connection c = db.pool.getConnection();
                PreparedStatement s = c.prepareStatement(sql)) {
            while (true) {
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) >= nextSeq) {
                        return;
                    }
                }
                if (System.nanoTime() - start > 900e9) {
                    throw new IllegalStateException("the sequencer did not drain the backlog in 900 s");
                }
                Thread.sleep(2);
            }
        }
    }

    /** The consumer reading the whole log left by the sequencer run, nothing else moving. */
    private double consumerAlone() throws Exception {
        try (HikariDataSource relayPool = db.newPool("relay-drain", 4)) {
            Relays.Counting counting = new Relays.Counting(backlog);
            RelayOptions options = Relays.options("drain-consumer").build();
            long start;
            try (OutboxRelay relay = Relays.relay(db, relayPool, options, counting.consumer("drain"))) {
                start = System.nanoTime();
                relay.start();
                counting.await(900);
            }
            return backlog / ((counting.doneNanos - start) / 1e9);
        }
    }

    private double both(long events) throws Exception {
        return both(events, 0);
    }

    private double both(long events, int consumerBatch) throws Exception {
        return both(events, consumerBatch, 0);
    }

    /** Sequencer and consumer; a batch size 0 stands for the default. */
    private double both(long events, int consumerBatch, int sequencerBatch) throws Exception {
        try (HikariDataSource relayPool = db.newPool("relay-drain", 4)) {
            Relays.Counting counting = new Relays.Counting(events);
            RelayOptions.Builder builder = Relays.options("drain-both");
            if (sequencerBatch > 0) {
                builder.sequencerBatchSize(sequencerBatch);
            }
            RelayOptions options = builder.build();
            long start;
            try (OutboxRelay relay = Relays.relay(db, relayPool, options, counting.consumer("drain", consumerBatch))) {
                start = System.nanoTime();
                relay.start();
                counting.await(900);
            }
            return events / ((counting.doneNanos - start) / 1e9);
        }
    }

    /**
     * The design's move written by hand, one transaction per batch: lock the sequencer row, read
     * the batch's positions with one plain read, move exactly those positions (named as ranges),
     * advance next_seq. {@code cte}: PostgreSQL's single-statement move, {@code WITH moved AS
     * (DELETE ... RETURNING *) INSERT INTO log SELECT ... FROM moved}; otherwise INSERT...SELECT
     * then DELETE.
     */
    private double ceiling(boolean cte) throws Exception {
        String columns = "event_id, aggregate_type, aggregate_id, event_type, payload, headers, created_at";
        String now = db.isPostgres() ? "statement_timestamp()" : "UTC_TIMESTAMP(6)";
        String lock = "SELECT next_seq FROM " + db.sequencer() + " WHERE name = 'default' FOR UPDATE";
        String read = "SELECT position FROM " + db.event() + " ORDER BY position LIMIT " + CEILING_BATCH;
        String advance = "UPDATE " + db.sequencer() + " SET next_seq = ? WHERE name = 'default'";
        long start = System.nanoTime();
        long moved = 0;
        try (Connection c = db.pool.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            try (PreparedStatement lockStatement = c.prepareStatement(lock);
                    PreparedStatement readStatement = c.prepareStatement(read);
                    PreparedStatement advanceStatement = c.prepareStatement(advance);
                    Statement move = c.createStatement()) {
                readStatement.setFetchSize(CEILING_BATCH);
                while (true) {
                    long nextSeq;
                    try (ResultSet rs = lockStatement.executeQuery()) {
                        rs.next();
                        nextSeq = rs.getLong(1);
                    }
                    List<long[]> ranges = new ArrayList<>();
                    int count = 0;
                    try (ResultSet rs = readStatement.executeQuery()) {
                        while (rs.next()) {
                            long p = rs.getLong(1);
                            if (!ranges.isEmpty() && ranges.get(ranges.size() - 1)[1] == p - 1) {
                                ranges.get(ranges.size() - 1)[1] = p;
                            } else {
                                ranges.add(new long[] {p, p});
                            }
                            count++;
                        }
                    }
                    if (count == 0) {
                        c.commit();
                        break;
                    }
                    StringBuilder where = new StringBuilder();
                    for (long[] range : ranges) {
                        where.append(where.length() == 0 ? "" : " OR ")
                                .append("position BETWEEN ")
                                .append(range[0])
                                .append(" AND ")
                                .append(range[1]);
                    }
                    String seqExpression = seqExpression(ranges, nextSeq);
                    int inserted;
                    if (cte) {
                        inserted = move.executeUpdate("WITH moved AS (DELETE FROM " + db.event() + " WHERE " + where
                                + " RETURNING position, " + columns + ") INSERT INTO " + db.log()
                                + " (seq, position, " + columns + ", sequenced_at) SELECT " + seqExpression
                                + ", position, " + columns + ", " + now + " FROM moved");
                    } else {
                        inserted = move.executeUpdate("INSERT INTO " + db.log() + " (seq, position, " + columns
                                + ", sequenced_at) SELECT " + seqExpression + ", position, " + columns + ", " + now
                                + " FROM " + db.event() + " WHERE " + where);
                        int deleted = move.executeUpdate("DELETE FROM " + db.event() + " WHERE " + where);
                        if (deleted != count) {
                            throw new IllegalStateException("deleted " + deleted + ", expected " + count);
                        }
                    }
                    if (inserted != count) {
                        throw new IllegalStateException("moved " + inserted + ", expected " + count);
                    }
                    advanceStatement.setLong(1, nextSeq + count);
                    advanceStatement.executeUpdate();
                    c.commit();
                    moved += count;
                }
            } finally {
                c.setAutoCommit(true);
            }
        }
        long end = System.nanoTime();
        if (moved != backlog) {
            throw new IllegalStateException("the hand-written move moved " + moved + " of " + backlog);
        }
        return backlog / ((end - start) / 1e9);
    }

    /**
     * Each moved row's seq, {@code nextSeq} plus its rank in the batch, taken from its position
     * within its range of consecutive positions; by sorting when there are many ranges, as the
     * sequencer does.
     */
    private static String seqExpression(List<long[]> ranges, long nextSeq) {
        if (ranges.size() > 16) {
            return (nextSeq - 1) + " + row_number() OVER (ORDER BY position)";
        }
        StringBuilder rank = new StringBuilder("CASE");
        long before = 0;
        for (long[] range : ranges) {
            rank.append(" WHEN position BETWEEN ")
                    .append(range[0])
                    .append(" AND ")
                    .append(range[1])
                    .append(" THEN position - ")
                    .append(range[0] - before);
            before += range[1] - range[0] + 1;
        }
        return nextSeq + " + " + rank.append(" END");
    }

    /** Hand-written keyset scan of the log with all the columns a consumer reads. */
    private double readCeiling() throws SQLException {
        String sql = "SELECT seq, event_id, aggregate_type, aggregate_id, event_type, payload, headers, created_at,"
                + " sequenced_at FROM " + db.log() + " WHERE seq > ? ORDER BY seq LIMIT " + CEILING_BATCH;
        long start = System.nanoTime();
        long rows = 0;
        try (Connection c = db.pool.getConnection();
                PreparedStatement s = c.prepareStatement(sql)) {
            s.setFetchSize(CEILING_BATCH);
            long after = 0;
            while (true) {
                s.setLong(1, after);
                int n = 0;
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        after = rs.getLong(1);
                        rs.getString(2);
                        rs.getString(3);
                        rs.getString(4);
                        rs.getString(5);
                        rs.getString(6);
                        rs.getString(7);
                        rs.getObject(8);
                        rs.getObject(9);
                        n++;
                    }
                }
                rows += n;
                if (n == 0) {
                    break;
                }
            }
        }
        long end = System.nanoTime();
        if (rows != backlog) {
            throw new IllegalStateException("read " + rows + " of " + backlog);
        }
        return rows / ((end - start) / 1e9);
    }
}
