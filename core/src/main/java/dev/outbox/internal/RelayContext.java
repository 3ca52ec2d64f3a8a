package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.NAME;
import static dev.outbox.internal.OutboxSql.SCHEMA_VERSION_COLUMN;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.select;

import dev.outbox.OutboxSchemaException;
import dev.outbox.OutboxTables;
import dev.outbox.RelayOptions;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.sql.DataSource;

/**
 * What the sequencer and the consumer loops of one relay share: the data source, the dialect, the
 * table names, the consumers' statements and the options; the transaction templates; the schema
 * check. Connections are borrowed per unit of work and returned at once.
 */
final class RelayContext {

    final DataSource dataSource;
    final OutboxDialect dialect;
    final OutboxSql sql;
    final ConsumerSql consumers;
    final RelayOptions options;
    /**
     * This relay object among all relays, even those with its relay id: what its leases record, so
     * that it renews exactly the leases it holds (an earlier, crashed life of the id holds others).
     */
    final String instance = UUID.randomUUID().toString();
    /**
     * Between the {@link PartitionBalancer}'s renewal of every lease in one statement (the write
     * lock) and the transactions that hold a consumer's row lock while a handler runs (the read
     * lock, only to mark the lease before they lock the row): the renewal leaves those rows out,
     * and so never waits for a handler. See {@link ConsumerLease#inLockingTransaction}.
     */
    final ReadWriteLock bulkRenewal = new ReentrantReadWriteLock();
    /** Told what the loops do (metrics). */
    final RelayListeners listeners = new RelayListeners();

    private final Statement readSchemaVersion;
    /** Attempts of an operator's call that meets deadlocks. */
    static final int OPERATION_ATTEMPTS = 5;

    private final AtomicBoolean serverChecked = new AtomicBoolean();
    private final Set<Connection> inUse = ConcurrentHashMap.newKeySet();

    RelayContext(DataSource dataSource, OutboxDialect dialect, OutboxTables tables, RelayOptions options) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.sql = new OutboxSql(dialect, tables);
        this.consumers = new ConsumerSql(sql);
        this.options = options;
        this.readSchemaVersion = sql.render(
                select(SCHEMA_VERSION_COLUMN).from(sql.sequencer).where(NAME.eq(inline(OutboxSql.SEQUENCER_NAME))));
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
     * Runs an operator's call ({@code deadLetters().redriveAll(...)}, a reset) on a borrowed
     * connection in auto-commit mode, again when the database chose it as the victim of a deadlock
     * or a lock timeout, up to {@value #OPERATION_ATTEMPTS} times: such a failure says "try again",
     * and the caller should not have to.
     */
    <T> T operation(Work<T> work) throws SQLException {
        return retryingTransient(() -> withConnection(work));
    }

    /** {@link #operation}, in one transaction. */
    <T> T operationInTransaction(Work<T> work) throws SQLException {
        return retryingTransient(() -> inTransaction(work));
    }

    private interface Attempt<T> {
        T run() throws SQLException;
    }

    private <T> T retryingTransient(Attempt<T> attempt) throws SQLException {
        for (int n = 1; ; n++) {
            try {
                return attempt.run();
            } catch (SQLException e) {
                if (n >= OPERATION_ATTEMPTS || dialect.classify(e) != SqlFailure.TRANSIENT) {
                    throw e;
                }
                try {
                    Thread.sleep(5L * n);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
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
    void checkSchema() throws SQLException {
        OutboxTables tables = sql.tables();
        String sequencerTable = tables.qualified(tables.sequencerTable());
        Integer version;
        try {
            version = withConnection(connection -> {
                try (Statement.Bound read = readSchemaVersion.bind(connection);
                        ResultSet rs = read.executeQuery()) {
                    return rs.next() ? rs.getInt(1) : null;
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

    long leaseMillis() {
        return options.leaseDuration().toMillis();
    }
}
