package dev.outbox.bench;

import dev.outbox.KeyPartitioner;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * 7. Reading one partition of a consumer split into {@value #PARTITIONS} (a measurement for the
 * design of partitioned consumers, before they exist): how a partition finds its entries among the
 * log's. Three ways, over copies of one log of entries whose keys are spread over {@value
 * #KEYS} aggregates, each read in seq order by keyset in batches of {@value #BATCH}:
 *
 * <ul>
 *   <li><b>scan</b>: every entry after the checkpoint, the relay keeping its partition's
 *       ({@link KeyPartitioner}); each partition reads the whole log;
 *   <li><b>hash filter</b>: a stored hash of the key, the server keeping the partition's rows
 *       ({@code MOD(key_hash, P) = k}) as it walks the primary key;
 *   <li><b>partition index</b>: a stored partition number for this P, indexed with seq: a range of
 *       the index.
 * </ul>
 *
 * <p>Also what the stored columns cost the sequencer: the time to insert the log's entries into
 * each copy, server-side.
 */
final class PartitionReadBench {

    static final int PARTITIONS = 16;
    static final int KEYS = 10_000;
    static final int BATCH = 1_000;
    /** The partition read in each run: any one will do, the keys spread evenly. */
    static final int PARTITION = 5;
    /** Enough entries for a partition's share to take longer than the reads' set-up. */
    static final long MIN_ENTRIES = 500_000;

    private final BenchDb db;
    private final Mode mode;
    private final Report report;
    private final long entries;

    PartitionReadBench(BenchDb db, Mode mode, Report report) {
        this.db = db;
        this.mode = mode;
        this.report = report;
        this.entries = Math.max(mode.backlog(), MIN_ENTRIES);
    }

    void run() throws SQLException {
        System.out.println("[partition-read] " + db.label + ", " + entries + " entries, P = " + PARTITIONS);
        createTables();
        Stats.Samples insertPlain = new Stats.Samples();
        Stats.Samples insertHash = new Stats.Samples();
        Stats.Samples insertIndexed = new Stats.Samples();
        Stats.Samples scan = new Stats.Samples();
        Stats.Samples hashFilter = new Stats.Samples();
        Stats.Samples partitionIndex = new Stats.Samples();
        Stats.Samples hashOverScan = new Stats.Samples();
        Stats.Samples indexOverScan = new Stats.Samples();
        Stats.Samples indexedInsertCost = new Stats.Samples();
        long expected = -1;
        for (int rep = 0; rep < mode.reps(); rep++) {
            double plain = fill("plain", "");
            double hash = fill("hashed", ", key_hash");
            double indexed = fill("indexed", ", part");
            insertPlain.add(plain);
            insertHash.add(hash);
            insertIndexed.add(indexed);
            indexedInsertCost.add(plain / indexed);
            analyze();

            Read byScan = read(
                    "SELECT seq, aggregate_id, payload FROM " + db.q("partition_log_plain")
                            + " WHERE seq > ? ORDER BY seq LIMIT " + BATCH,
                    true);
            Read byHash = read(
                    "SELECT seq, aggregate_id, payload FROM " + db.q("partition_log_hashed")
                            + " WHERE seq > ? AND MOD(key_hash, " + PARTITIONS + ") = " + PARTITION
                            + " ORDER BY seq LIMIT " + BATCH,
                    false);
            Read byIndex = read(
                    "SELECT seq, aggregate_id, payload FROM " + db.q("partition_log_indexed") + " WHERE part = "
                            + PARTITION + " AND seq > ? ORDER BY seq LIMIT " + BATCH,
                    false);
            if (byScan.events() != byHash.events() || byScan.events() != byIndex.events()) {
                throw new IllegalStateException("the three reads disagree: " + byScan + ", " + byHash + ", " + byIndex);
            }
            expected = byScan.events();
            scan.add(byScan.perSecond());
            hashFilter.add(byHash.perSecond());
            partitionIndex.add(byIndex.perSecond());
            hashOverScan.add(byHash.perSecond() / byScan.perSecond());
            indexOverScan.add(byIndex.perSecond() / byScan.perSecond());
        }
        String section = Report.Sections.PARTITION_READ;
        String share = String.format("%,d of %,d entries", expected, entries);
        report.add(section, db.label, "scan, relay keeps its partition", scan.stats(), "ev/s", null, null, share);
        report.add(section, db.label, "hash filter on the server", hashFilter.stats(), "ev/s");
        report.add(section, db.label, "partition index (part, seq)", partitionIndex.stats(), "ev/s");
        report.add(section, db.label, "hash filter / scan (same run)", hashOverScan.stats(), "x");
        report.add(section, db.label, "partition index / scan (same run)", indexOverScan.stats(), "x");
        report.add(section, db.label, "sequencer insert, log as today", insertPlain.stats(), "rows/s");
        report.add(section, db.label, "sequencer insert, + key hash column", insertHash.stats(), "rows/s");
        report.add(section, db.label, "sequencer insert, + partition index", insertIndexed.stats(), "rows/s");
        report.add(
                section, db.label, "insert as today / with partition index (same run)", indexedInsertCost.stats(), "x");
        dropTables();
    }

    /** The keys with their hash and partition, computed here: neither database has murmur2. */
    private void createTables() throws SQLException {
        dropTables();
        String text = db.isPostgres() ? "text" : "TEXT";
        String engine = db.isPostgres() ? "" : " ENGINE=InnoDB";
        db.execute(
                "CREATE TABLE " + db.q("partition_key") + " (n int PRIMARY KEY, aggregate_id varchar(255) NOT NULL,"
                        + " key_hash int NOT NULL, part int NOT NULL)" + engine,
                "CREATE TABLE " + db.q("partition_log_plain") + " (seq bigint PRIMARY KEY,"
                        + " aggregate_id varchar(255) NOT NULL, payload " + text + " NOT NULL)" + engine,
                "CREATE TABLE " + db.q("partition_log_hashed") + " (seq bigint PRIMARY KEY,"
                        + " aggregate_id varchar(255) NOT NULL, key_hash int NOT NULL, payload " + text
                        + " NOT NULL)" + engine,
                "CREATE TABLE " + db.q("partition_log_indexed") + " (seq bigint PRIMARY KEY,"
                        + " aggregate_id varchar(255) NOT NULL, part int NOT NULL, payload " + text
                        + " NOT NULL)" + engine,
                "CREATE INDEX partition_log_indexed_part_ix ON " + db.q("partition_log_indexed") + " (part, seq)");
        try (Connection connection = db.pool.getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO " + db.q("partition_key")
                        + " (n, aggregate_id, key_hash, part) VALUES (?, ?, ?, ?)")) {
            connection.setAutoCommit(false);
            for (int n = 0; n < KEYS; n++) {
                String key = "order-" + n;
                insert.setInt(1, n);
                insert.setString(2, key);
                insert.setInt(3, KeyPartitioner.keyHash(key)); // what the writer stores
                insert.setInt(4, KeyPartitioner.partitionOf(key, PARTITIONS));
                insert.addBatch();
            }
            insert.executeBatch();
            connection.commit();
        }
    }

    /**
     * Empties one copy of the log and inserts every entry into it in one statement, as the
     * sequencer's INSERT ... SELECT does per batch; returns rows per second.
     */
    private double fill(String copy, String extraColumn) {
        String table = db.q("partition_log_" + copy);
        db.execute(db.isPostgres() ? "TRUNCATE " + table : "TRUNCATE TABLE " + table);
        String extraValue = extraColumn.isEmpty() ? "" : ", k." + extraColumn.substring(2);
        String series =
                db.isPostgres() ? "generate_series(1::bigint, " + entries + ") g(seq)" : "seq_1_to_" + entries + " g";
        long start = System.nanoTime();
        db.execute("INSERT INTO " + table + " (seq, aggregate_id" + extraColumn + ", payload)"
                + " SELECT g.seq, k.aggregate_id" + extraValue + ", " + db.payloadSql("g.seq")
                + " FROM " + series + " JOIN " + db.q("partition_key") + " k ON k.n = MOD(g.seq * 7919, " + KEYS + ")");
        return entries / ((System.nanoTime() - start) / 1e9);
    }

    private void analyze() {
        for (String copy : new String[] {"plain", "hashed", "indexed"}) {
            String table = db.q("partition_log_" + copy);
            db.execute(db.isPostgres() ? "VACUUM ANALYZE " + table : "ANALYZE TABLE " + table);
        }
    }

    /** What one read of partition {@value #PARTITION} found, and how fast. */
    record Read(long events, double perSecond) {}

    /**
     * Reads the partition's share from the start in keyset batches; {@code filterHere}: the
     * statement returns every entry and the partition's are kept here.
     */
    private Read read(String sql, boolean filterHere) throws SQLException {
        long events = 0;
        long after = 0;
        long start = System.nanoTime();
        try (Connection connection = db.pool.getConnection();
                PreparedStatement select = connection.prepareStatement(sql)) {
            while (true) {
                select.setLong(1, after);
                int rows = 0;
                try (ResultSet batch = select.executeQuery()) {
                    while (batch.next()) {
                        rows++;
                        after = batch.getLong(1);
                        String key = batch.getString(2);
                        batch.getString(3); // the payload travels and is read, as a handler's would be
                        if (!filterHere || KeyPartitioner.partitionOf(key, PARTITIONS) == PARTITION) {
                            events++;
                        }
                    }
                }
                if (rows < BATCH) {
                    break;
                }
            }
        }
        return new Read(events, events / ((System.nanoTime() - start) / 1e9));
    }

    private void dropTables() throws SQLException {
        try (Connection connection = db.pool.getConnection();
                Statement statement = connection.createStatement()) {
            for (String table : new String[] {
                "partition_log_plain", "partition_log_hashed", "partition_log_indexed", "partition_key"
            }) {
                statement.execute("DROP TABLE IF EXISTS " + db.q(table));
            }
        }
    }
}
