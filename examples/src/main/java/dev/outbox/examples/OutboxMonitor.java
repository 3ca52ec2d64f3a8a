package dev.outbox.examples;

import dev.outbox.OutboxTables;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Reads how far the outbox has got with plain SQL on its tables: the queue, the log and each
 * consumer's checkpoint (columns as created by the migration, {@code 0001-create-tables.yaml}).
 */
final class OutboxMonitor {

    /**
     * One reading.
     *
     * @param queued events committed but not sequenced yet ({@code outbox_event})
     * @param logHead the highest seq in the log, 0 if it is empty
     * @param checkpoints each consumer's checkpoint: the last seq it processed
     */
    record Snapshot(long queued, long logHead, Map<String, Long> checkpoints) {
        long checkpoint(String consumer) {
            return checkpoints.getOrDefault(consumer, 0L);
        }
    }

    /** Entries of the log and their seq range. */
    record LogStats(long entries, long minSeq, long maxSeq) {
        boolean gapFree() {
            return entries == 0 || (minSeq == 1 && maxSeq == entries);
        }
    }

    private final DataSource dataSource;
    private final String eventTable;
    private final String logTable;
    private final String consumerTable;

    OutboxMonitor(DataSource dataSource, OutboxTables tables) {
        this.dataSource = dataSource;
        // Validated lower-case identifiers, so they need no quoting.
        this.eventTable = tables.qualified(tables.eventTable());
        this.logTable = tables.qualified(tables.logTable());
        this.consumerTable = tables.qualified(tables.consumerTable());
    }

    /** The log table, schema-qualified, for plain SQL. */
    String logTable() {
        return logTable;
    }

    /** Reads the queue, the log's head and the checkpoints in one snapshot, so they fit together. */
    Snapshot read() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement statement = connection.createStatement()) {
                long queued = single(statement, "SELECT count(*) FROM " + eventTable);
                long head = single(statement, "SELECT coalesce(max(seq), 0) FROM " + logTable);
                Map<String, Long> checkpoints = new TreeMap<>();
                try (ResultSet rs = statement.executeQuery("SELECT name, checkpoint_seq FROM " + consumerTable)) {
                    while (rs.next()) {
                        checkpoints.put(rs.getString(1), rs.getLong(2));
                    }
                }
                return new Snapshot(queued, head, checkpoints);
            } finally {
                connection.rollback(); // read only; the pool restores auto-commit and isolation
            }
        }
    }

    LogStats logStats() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(
                        "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM " + logTable)) {
            rs.next();
            return new LogStats(rs.getLong(1), rs.getLong(2), rs.getLong(3));
        }
    }

    private static long single(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
