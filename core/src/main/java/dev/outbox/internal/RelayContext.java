package dev.outbox.internal;

import dev.outbox.OutboxRecord;
import dev.outbox.OutboxSchemaException;
import dev.outbox.OutboxTables;
import dev.outbox.RelayOptions;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

/**
 * What the sequencer and the consumer loops of one relay share: the data source, the dialect, the
 * rendered SQL and the options. Connections are borrowed per unit of work and returned at once.
 */
public final class RelayContext {

    final DataSource dataSource;
    final OutboxDialect dialect;
    final OutboxSql sql;
    final OperationsSql ops;
    final RelayOptions options;
    private final AtomicBoolean serverChecked = new AtomicBoolean();
    private final Set<Connection> inUse = ConcurrentHashMap.newKeySet();

    public RelayContext(DataSource dataSource, OutboxDialect dialect, OutboxTables tables, RelayOptions options) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.sql = new OutboxSql(dialect, tables);
        this.ops = new OperationsSql(sql);
        this.options = options;
    }

    public OutboxSql sql() {
        return sql;
    }

    public RelayOptions options() {
        return options;
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Runs {@code work} on a borrowed connection in auto-commit mode. */
    <T> T withConnection(Work<T> work) throws SQLException {
        Connection connection = borrow();
        try {
            return work.run(connection);
        } finally {
            giveBack(connection);
        }
    }

    /**
     * Runs {@code work} in one transaction on a borrowed connection: commits if it returns, rolls
     * back if it throws anything.
     */
    <T> T inTransaction(Work<T> work) throws SQLException {
        Connection connection = borrow();
        try {
            connection.setAutoCommit(false);
            try {
                dialect.beginRelayTransaction(connection);
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (Throwable failure) {
                try {
                    connection.rollback();
                } catch (SQLException rollbackFailure) {
                    failure.addSuppressed(rollbackFailure);
                }
                throw failure;
            } finally {
                try {
                    connection.setAutoCommit(true);
                } catch (SQLException ignored) {
                    // the connection is broken; the pool discards it
                }
            }
        } finally {
            giveBack(connection);
        }
    }

    /**
     * Aborts every connection in use by this relay's loops: their transactions roll back on the
     * server. The hard stop after a graceful shutdown timed out.
     */
    void abortConnectionsInUse() {
        for (Connection connection : inUse) {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // already closed, or the driver cannot abort: the interrupt has to do
            }
        }
    }

    private void giveBack(Connection connection) throws SQLException {
        inUse.remove(connection);
        connection.close();
    }

    private Connection borrow() throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            if (serverChecked.compareAndSet(false, true)) {
                try {
                    dialect.checkServer(connection);
                } catch (RuntimeException | SQLException e) {
                    serverChecked.set(false);
                    throw e;
                }
            }
            inUse.add(connection);
            return connection;
        } catch (Throwable e) {
            connection.close();
            throw e;
        }
    }

    /**
     * Checks that the tables exist and were created by the migration version this build expects.
     *
     * @throws OutboxSchemaException naming the migration to run
     * @throws SQLException if the database cannot be reached
     */
    public void checkSchema() throws SQLException {
        OutboxTables tables = sql.tables();
        String sequencerTable = tables.qualified(tables.sequencerTable());
        Integer version;
        try {
            version = withConnection(connection -> {
                try (NamedSql.Bound read = sql.readSchemaVersion.prepare(connection)) {
                    read.set("name", OutboxSql.SEQUENCER_NAME);
                    try (ResultSet rs = read.statement().executeQuery()) {
                        return rs.next() ? rs.getInt(1) : null;
                    }
                }
            });
        } catch (SQLException e) {
            if (dialect.classify(e) == SqlFailure.UNDEFINED_OBJECT) {
                throw new OutboxSchemaException(
                        "the outbox tables do not exist in "
                                + (tables.schema() == null
                                        ? "the connection's schema"
                                        : "schema '" + tables.schema() + "'")
                                + " with prefix '" + tables.prefix() + "' (" + e.getMessage() + "). Run the migration:"
                                + " OutboxMigrations.migrate(dataSource), or include dev/outbox/migrations/changelog.yaml"
                                + " in your Liquibase changelog; outbox never creates tables by itself",
                        e);
            }
            throw e;
        }
        if (version == null) {
            throw new OutboxSchemaException(sequencerTable + " has no row '" + OutboxSql.SEQUENCER_NAME
                    + "': the migration did not complete. Run OutboxMigrations.migrate(dataSource) again");
        }
        if (version != OutboxSql.SCHEMA_VERSION) {
            throw new OutboxSchemaException(sequencerTable + " is at schema version " + version
                    + " but this build of outbox needs version " + OutboxSql.SCHEMA_VERSION
                    + (version < OutboxSql.SCHEMA_VERSION
                            ? ": run the migrations of this outbox version (OutboxMigrations.migrate(dataSource))"
                            : ": the database was migrated by a newer outbox; upgrade this application"));
        }
    }

    /** Reads up to {@code limit} log entries after {@code afterSeq}, in seq order. */
    List<OutboxRecord> readLog(Connection connection, long afterSeq, int limit) throws SQLException {
        try (NamedSql.Bound read = sql.readLog.prepare(connection)) {
            read.set("after", afterSeq).set("batch", limit);
            read.statement().setFetchSize(limit);
            List<OutboxRecord> records = new ArrayList<>(Math.min(limit, 1024));
            try (ResultSet rs = read.statement().executeQuery()) {
                while (rs.next()) {
                    records.add(readRecord(rs));
                }
            }
            return records;
        }
    }

    /**
     * Reads a record from the current row of a result set whose first nine columns are seq,
     * event_id, aggregate_type, aggregate_id, event_type, payload, headers, created_at, sequenced_at.
     */
    OutboxRecord readRecord(ResultSet rs) throws SQLException {
        return new OutboxRecord(
                rs.getLong(1),
                dialect.readUuid(rs, 2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                HeadersJson.read(rs.getString(7)),
                dialect.readInstant(rs, 8),
                dialect.readInstant(rs, 9));
    }

    long lowestRetainedSeq(Connection connection) throws SQLException {
        try (NamedSql.Bound read = sql.lowestRetainedSeq.prepare(connection);
                ResultSet rs = read.statement().executeQuery()) {
            rs.next();
            long lowest = rs.getLong(1);
            return rs.wasNull() ? Long.MAX_VALUE : lowest;
        }
    }

    long leaseMillis() {
        return options.leaseDuration().toMillis();
    }
}
