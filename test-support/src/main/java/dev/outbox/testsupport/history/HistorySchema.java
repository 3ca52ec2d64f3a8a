package dev.outbox.testsupport.history;

import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.history.DatabaseState;
import dev.outbox.testkit.history.DatabaseState.ProjectionRow;
import dev.outbox.testkit.history.FaultyConsumer;
import dev.outbox.testkit.history.OutboxState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The business tables of a history run, next to the outbox tables in one schema, and the SQL that
 * reads the database's state at the end of a run.
 *
 * <ul>
 *   <li>{@code hist_row(k, version)}: the business rows; each transaction bumps one;
 *   <li>{@code hist_tx(tx_id, k, version)}: one row per transaction, written with its events: the
 *       database's record of which transactions committed;
 *   <li>{@code hist_projection(id, seq, event_id, ...)}: what the transactional consumer applied,
 *       in order (no unique key, so that a duplicate would show);
 *   <li>{@code hist_effect(id, consumer, seq, ...)}: the same for the transactional {@link
 *       FaultyConsumer}s.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class HistorySchema {

    private final OutboxDialect dialect;
    private final OutboxTables tables;
    private final String schema;
    final String rowTable;
    final String txTable;
    final String projectionTable;
    final String effectTable;

    /** The tables in {@code tables.schema()}, which must be set. */
    public HistorySchema(OutboxDialect dialect, OutboxTables tables) {
        this.dialect = Objects.requireNonNull(dialect, "dialect");
        this.tables = Objects.requireNonNull(tables, "tables");
        this.schema = Objects.requireNonNull(tables.schema(), "tables.schema()");
        this.rowTable = table("hist_row");
        this.txTable = table("hist_tx");
        this.projectionTable = table("hist_projection");
        this.effectTable = table("hist_effect");
    }

    public OutboxDialect dialect() {
        return dialect;
    }

    public OutboxTables tables() {
        return tables;
    }

    private boolean postgres() {
        return dialect.sqlDialect().family() == SQLDialect.POSTGRES;
    }

    /** A schema-qualified, quoted table name for this dialect. */
    String table(String name) {
        return DSL.using(dialect.sqlDialect()).render(DSL.name(schema, name));
    }

    /** A quoted column name for this dialect. */
    static String column(OutboxDialect dialect, String name) {
        return DSL.using(dialect.sqlDialect()).render(DSL.name(name));
    }

    String c(String name) {
        return column(dialect, name);
    }

    /** Creates the business tables and one row (version 0) per key. */
    public void create(DataSource dataSource, List<String> keys) throws SQLException {
        String identity = postgres() ? "BIGINT GENERATED ALWAYS AS IDENTITY" : "BIGINT AUTO_INCREMENT";
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + rowTable + " (" + c("k") + " VARCHAR(64) NOT NULL PRIMARY KEY, "
                    + c("version") + " BIGINT NOT NULL)");
            statement.execute("CREATE TABLE " + txTable + " (" + c("tx_id") + " VARCHAR(64) NOT NULL PRIMARY KEY, "
                    + c("k") + " VARCHAR(64) NOT NULL, " + c("version") + " BIGINT NOT NULL)");
            statement.execute("CREATE TABLE " + projectionTable + " (" + c("id") + " " + identity
                    + " PRIMARY KEY, " + c("seq") + " BIGINT NOT NULL, " + c("event_id") + " VARCHAR(36) NOT NULL, "
                    + c("aggregate_id") + " VARCHAR(255) NOT NULL, " + c("relay_id") + " VARCHAR(200) NOT NULL, "
                    + c("applied_micros") + " BIGINT NOT NULL, " + c("partition_no") + " INT NOT NULL, "
                    + c("owner_seen") + " VARCHAR(200), " + c("epoch_seen") + " BIGINT NOT NULL)");
            statement.execute("CREATE TABLE " + effectTable + " (" + c("id") + " " + identity + " PRIMARY KEY, "
                    + c("consumer") + " VARCHAR(100) NOT NULL, " + c("seq") + " BIGINT NOT NULL, " + c("event_id")
                    + " VARCHAR(36) NOT NULL, " + c("relay_id") + " VARCHAR(200) NOT NULL, " + c("applied_micros")
                    + " BIGINT NOT NULL)");
        }
        try (Connection connection = dataSource.getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO " + rowTable + " VALUES (?, 0)")) {
            for (String key : keys) {
                insert.setString(1, key);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** Bumps the key's row and returns its new version: the first statement of a transaction. */
    long bumpVersion(Connection connection, String key) throws SQLException {
        try (PreparedStatement bump = connection.prepareStatement("UPDATE " + rowTable + " SET " + c("version") + " = "
                + c("version") + " + 1 WHERE " + c("k") + " = ?")) {
            bump.setString(1, key);
            if (bump.executeUpdate() != 1) {
                throw new IllegalStateException("no business row for key " + key);
            }
        }
        try (PreparedStatement read = connection.prepareStatement(
                "SELECT " + c("version") + " FROM " + rowTable + " WHERE " + c("k") + " = ?")) {
            read.setString(1, key);
            try (ResultSet rs = read.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Records the transaction in {@code hist_tx}, in the transaction itself. */
    void insertTransaction(Connection connection, String txId, String key, long version) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + txTable + " VALUES (?, ?, ?)")) {
            insert.setString(1, txId);
            insert.setString(2, key);
            insert.setLong(3, version);
            insert.executeUpdate();
        }
    }

    /** The SQL the transactional consumer runs per event. */
    String projectionInsert() {
        return "INSERT INTO " + projectionTable + " (" + c("seq") + ", " + c("event_id") + ", " + c("aggregate_id")
                + ", " + c("relay_id") + ", " + c("applied_micros") + ", " + c("partition_no") + ", " + c("owner_seen")
                + ", " + c("epoch_seen") + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    }

    /** The SQL that reads a consumer partition's owner and epoch (its row locked by the batch's transaction). */
    String ownerRead() {
        return "SELECT " + c("owner") + ", " + c("epoch") + " FROM " + table(tables.consumerTable()) + " WHERE "
                + c("name") + " = ? AND " + c("partition_no") + " = ?";
    }

    /**
     * Each partition's owner ({@code "<consumer>#<partition>"} to relay id, {@code null} when no
     * relay holds it): the rows that say who serves what, for the takeover times and hand-overs.
     */
    public Map<String, String> owners(DataSource dataSource, List<String> consumers) throws SQLException {
        Map<String, String> owners = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement read = connection.prepareStatement("SELECT " + c("name") + ", " + c("partition_no")
                        + ", " + c("owner") + ", CASE WHEN " + c("lease_until") + " > " + now() + " THEN 1 ELSE 0 END"
                        + " FROM " + table(tables.consumerTable()));
                ResultSet rs = read.executeQuery()) {
            while (rs.next()) {
                if (consumers.contains(rs.getString(1))) {
                    owners.put(rs.getString(1) + "#" + rs.getInt(2), rs.getInt(4) == 1 ? rs.getString(3) : null);
                }
            }
        }
        return owners;
    }

    /**
     * The partitions ({@code "<consumer>#<partition>"}) whose row a transaction holds locked now: a
     * transactional batch in flight, which keeps its partition from being taken over (the row lock
     * says its owner lives) even when its relay is frozen. Read with {@code FOR UPDATE SKIP LOCKED},
     * which returns only the rows no one holds, in a transaction rolled back at once.
     */
    public Set<String> lockedPartitions(DataSource dataSource) throws SQLException {
        Set<String> all = new HashSet<>();
        Set<String> free = new HashSet<>();
        try (Connection connection = dataSource.getConnection()) {
            try (Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT " + c("name") + ", " + c("partition_no") + " FROM "
                            + table(tables.consumerTable()))) {
                while (rs.next()) {
                    all.add(rs.getString(1) + "#" + rs.getInt(2));
                }
            }
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                if (!postgres()) {
                    // READ COMMITTED: a locking read in REPEATABLE READ also takes gap locks
                    statement.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
                }
                try (ResultSet rs = statement.executeQuery("SELECT " + c("name") + ", " + c("partition_no") + " FROM "
                        + table(tables.consumerTable()) + " FOR UPDATE SKIP LOCKED")) {
                    while (rs.next()) {
                        free.add(rs.getString(1) + "#" + rs.getInt(2));
                    }
                }
            } finally {
                connection.rollback();
                connection.setAutoCommit(true);
            }
        }
        all.removeAll(free);
        return all;
    }

    /** The server's time as the relays write it: the MySQL dialects keep UTC in {@code DATETIME(6)}. */
    private String now() {
        return postgres() ? "CURRENT_TIMESTAMP" : "UTC_TIMESTAMP(6)";
    }

    /** The SQL a transactional {@link FaultyHandler} runs per processed event. */
    String effectInsert() {
        return "INSERT INTO " + effectTable + " (" + c("consumer") + ", " + c("seq") + ", " + c("event_id") + ", "
                + c("relay_id") + ", " + c("applied_micros") + ") VALUES (?, ?, ?, ?, ?)";
    }

    /** Reads what the database holds: the source of truth of the checker. */
    public DatabaseState readState(DataSource dataSource) throws SQLException {
        OutboxState outbox = OutboxState.read(dataSource, dialect, tables);
        try (Connection connection = dataSource.getConnection()) {
            Set<String> committed = new HashSet<>();
            try (PreparedStatement read = connection.prepareStatement("SELECT " + c("tx_id") + " FROM " + txTable);
                    ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    committed.add(rs.getString(1));
                }
            }
            Map<String, Long> versions = new HashMap<>();
            try (PreparedStatement read = connection.prepareStatement(
                            "SELECT " + c("k") + ", " + c("version") + " FROM " + rowTable);
                    ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    versions.put(rs.getString(1), rs.getLong(2));
                }
            }
            List<ProjectionRow> projection = new ArrayList<>();
            try (PreparedStatement read = connection.prepareStatement("SELECT " + c("id") + ", " + c("seq") + ", "
                            + c("event_id") + ", " + c("aggregate_id") + ", " + c("relay_id") + ", "
                            + c("applied_micros") + ", " + c("partition_no") + ", " + c("owner_seen") + ", "
                            + c("epoch_seen") + " FROM " + projectionTable + " ORDER BY " + c("id"));
                    ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    projection.add(new ProjectionRow(
                            rs.getLong(1),
                            rs.getLong(2),
                            UUID.fromString(rs.getString(3)),
                            rs.getString(4),
                            rs.getString(5),
                            rs.getLong(6),
                            rs.getInt(7),
                            rs.getString(8),
                            rs.getLong(9)));
                }
            }
            List<DatabaseState.EffectRow> effects = new ArrayList<>();
            try (PreparedStatement read = connection.prepareStatement("SELECT " + c("id") + ", " + c("consumer") + ", "
                            + c("seq") + ", " + c("event_id") + ", " + c("relay_id") + ", " + c("applied_micros")
                            + " FROM " + effectTable + " ORDER BY " + c("id"));
                    ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    effects.add(new DatabaseState.EffectRow(
                            rs.getLong(1),
                            rs.getString(2),
                            rs.getLong(3),
                            UUID.fromString(rs.getString(4)),
                            rs.getString(5),
                            rs.getLong(6)));
                }
            }
            return new DatabaseState(
                    outbox.log(),
                    outbox.nextSeq(),
                    outbox.queued(),
                    committed,
                    versions,
                    projection,
                    effects,
                    outbox.deadLetters());
        }
    }

    /** Dead letters not discarded: parked, waiting for re-drive or being re-driven. */
    public long openDeadLetters(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement read = connection.prepareStatement("SELECT COUNT(*) FROM "
                        + table(tables.deadLetterTable()) + " WHERE " + c("status") + " <> 'DISCARDED'");
                ResultSet rs = read.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Events still queued, and each consumer's checkpoints (one per partition) against the log's end: drained when all match. */
    public boolean drained(DataSource dataSource, List<String> consumers) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try (PreparedStatement read =
                            connection.prepareStatement("SELECT COUNT(*) FROM " + table(tables.eventTable()));
                    ResultSet rs = read.executeQuery()) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    return false;
                }
            }
            long last;
            try (PreparedStatement read = connection.prepareStatement("SELECT " + c("next_seq") + " - 1 FROM "
                            + table(tables.sequencerTable()) + " WHERE " + c("name") + " = 'default'");
                    ResultSet rs = read.executeQuery()) {
                rs.next();
                last = rs.getLong(1);
            }
            for (String consumer : consumers) {
                try (PreparedStatement read = connection.prepareStatement("SELECT " + c("checkpoint_seq") + " FROM "
                        + table(tables.consumerTable()) + " WHERE " + c("name") + " = ?")) {
                    read.setString(1, consumer);
                    try (ResultSet rs = read.executeQuery()) {
                        boolean any = false;
                        while (rs.next()) { // one row per partition
                            any = true;
                            if (rs.getLong(1) != last) {
                                return false;
                            }
                        }
                        if (!any) {
                            return false;
                        }
                    }
                }
            }
            return true;
        }
    }
}
