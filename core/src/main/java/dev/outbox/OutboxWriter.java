package dev.outbox;

import dev.outbox.internal.WriterEngine;
import dev.outbox.spi.OutboxDialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends events to the outbox inside the caller's transaction, so they commit exactly when the
 * business change does.
 *
 * <p>Three ways to use it:
 *
 * <ul>
 *   <li>{@link #append(Connection, OutboxEvent...)} on a JDBC connection with auto-commit off;
 *   <li>{@link #append(DSLContext, OutboxEvent...)} inside jOOQ's {@code dsl.transaction(cfg -> ...)}
 *       with {@code DSL.using(cfg)};
 *   <li>{@link #inTransaction(DataSource, Work)}, which owns the transaction, inserts the buffered
 *       events as its last statement before commit and then wakes relays in this JVM.
 * </ul>
 *
 * <p>Each call inserts its events with multi-row inserts, in the order given. The writer never
 * commits, rolls back or closes a connection it was given; it refuses a connection in auto-commit
 * mode. Invalid input ({@link InvalidEventException}) is detected before anything is written. The
 * application's database role needs only INSERT on the event table: the writer never reads it.
 *
 * <p>Immutable and thread-safe: create one and share it.
 */
public final class OutboxWriter {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxWriter.class);

    /** Default of {@link Builder#maxPayloadBytes(int)}: 1 MiB. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;

    private final OutboxDialect dialect;
    private final OutboxTables tables;
    private final WriterEngine engine;
    private final @Nullable HeaderSource headerSource;

    private OutboxWriter(Builder builder) {
        this.dialect = builder.dialect;
        this.tables = builder.tables;
        this.headerSource = builder.headerSource;
        this.engine = new WriterEngine(dialect, tables, builder.maxPayloadBytes, builder.notify);
    }

    /** A writer with default settings for tables {@code outbox_*}. */
    public static OutboxWriter create(OutboxDialect dialect) {
        return builder(dialect).build();
    }

    public static Builder builder(OutboxDialect dialect) {
        return new Builder(Objects.requireNonNull(dialect, "dialect"));
    }

    /** The tables this writer appends to. */
    public OutboxTables tables() {
        return tables;
    }

    /**
     * Inserts {@code events} on {@code connection}, inside the transaction the caller has open. The
     * caller commits or rolls back; the events share the fate of the transaction.
     *
     * @throws OutboxConfigurationException if the connection is in auto-commit mode
     * @throws InvalidEventException if an event is invalid; nothing is written then
     * @throws OutboxSchemaException if the outbox tables do not exist
     * @throws OutboxException if the insert fails; the transaction should be rolled back
     */
    public void append(Connection connection, OutboxEvent... events) {
        append(connection, Arrays.asList(Objects.requireNonNull(events, "events")));
    }

    /** Like {@link #append(Connection, OutboxEvent...)}. */
    public void append(Connection connection, List<OutboxEvent> events) {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(events, "events");
        engine.validate(events);
        requireTransaction(connection, "append(Connection, ...)");
        if (!events.isEmpty()) {
            engine.insert(connection, withSourcedHeaders(events));
        }
    }

    /**
     * Inserts {@code events} through a jOOQ context that is inside a transaction: within {@code
     * dsl.transaction(cfg -> ...)} pass {@code DSL.using(cfg)}, not the outer context (which would
     * take a new connection from the pool, outside the transaction, and is refused).
     */
    public void append(DSLContext dsl, OutboxEvent... events) {
        append(dsl, Arrays.asList(Objects.requireNonNull(events, "events")));
    }

    /** Like {@link #append(DSLContext, OutboxEvent...)}. */
    public void append(DSLContext dsl, List<OutboxEvent> events) {
        Objects.requireNonNull(dsl, "dsl");
        Objects.requireNonNull(events, "events");
        engine.validate(events);
        List<OutboxEvent> appended = withSourcedHeaders(events);
        dsl.connection(connection -> {
            requireTransaction(
                    connection,
                    "append(DSLContext, ...): inside dsl.transaction(cfg -> ...) pass"
                            + " DSL.using(cfg), whose connection is the transaction's;");
            if (!appended.isEmpty()) {
                engine.insert(connection, appended);
            }
        });
    }

    /**
     * Wakes the relays in this JVM that sequence this writer's tables, so they need not wait for
     * their next poll: call it after committing a transaction of your own in which you appended
     * events with {@link #append(Connection, OutboxEvent...)} or {@link #append(DSLContext,
     * OutboxEvent...)} ({@link #inTransaction} and framework integrations do it for you). Never
     * blocks; a relay that is not woken finds the events at its next poll all the same.
     */
    public void signalCommitted() {
        engine.committed();
    }

    /**
     * Runs {@code work} in a new transaction on a connection from {@code dataSource}, then inserts
     * the events it appended (one multi-row insert, the last statement), commits and wakes relays
     * in this JVM. If {@code work} throws, or anything fails, the transaction is rolled back and
     * nothing is appended.
     *
     * <p>Once the commit succeeded, the call returns normally even if restoring or closing the
     * connection fails afterwards (that is logged): the transaction is committed, and a caller that
     * took the failure for a rollback and retried would duplicate its business effects.
     *
     * @return what {@code work} returned
     * @throws OutboxException wrapping a checked exception thrown by {@code work} or a database
     *     error; unchecked exceptions of {@code work} are rethrown as they are
     */
    public <T> T inTransaction(DataSource dataSource, Work<T> work) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(work, "work");
        Connection connection;
        try {
            connection = dataSource.getConnection();
        } catch (SQLException e) {
            throw new OutboxException(
                    "transaction failed: no connection (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
        }
        T result;
        boolean restoreAutoCommit = false;
        try {
            restoreAutoCommit = connection.getAutoCommit();
            if (restoreAutoCommit) {
                connection.setAutoCommit(false);
            }
            result = runAndCommit(connection, work);
        } catch (Throwable failure) {
            // Not committed: nothing was appended. The connection goes back to the pool as it can.
            release(connection, restoreAutoCommit, failure);
            throw rethrowable(failure);
        }
        // Committed: whatever the connection does now, the events exist. A failure to restore it is
        // the pool's business (it discards a broken connection), not a failed transaction: reporting
        // it as one would make a caller that retries duplicate its business effects.
        release(connection, restoreAutoCommit, null);
        engine.committed();
        return result;
    }

    private <T> T runAndCommit(Connection connection, Work<T> work) throws Exception {
        try {
            BufferingTransaction transaction = new BufferingTransaction(connection);
            T result = work.run(transaction);
            transaction.close();
            if (!transaction.events.isEmpty()) {
                engine.insert(connection, transaction.events);
            }
            connection.commit();
            return result;
        } catch (Throwable failure) {
            rollback(connection, failure);
            throw failure;
        }
    }

    /**
     * Restores auto-commit and closes the connection. After a failure, what goes wrong here is
     * added to it as suppressed; after a commit, it is logged.
     */
    private static void release(Connection connection, boolean restoreAutoCommit, @Nullable Throwable failure) {
        try (connection) {
            if (restoreAutoCommit) {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                LOG.warn(
                        "the transaction committed, but returning its connection failed (SQLState {}): {}",
                        e.getSQLState(),
                        e.getMessage());
            }
        }
    }

    private static RuntimeException rethrowable(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            return e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure instanceof SQLException e) {
            return new OutboxException("transaction failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
        }
        return new OutboxException("transaction failed: " + failure, failure);
    }

    private static void requireTransaction(Connection connection, String call) {
        try {
            if (connection.getAutoCommit()) {
                throw new OutboxConfigurationException("OutboxWriter." + call + " needs a connection inside a"
                        + " transaction, but auto-commit is on: the events would commit on their own, apart"
                        + " from your business writes. Call connection.setAutoCommit(false) and commit"
                        + " yourself, or use OutboxWriter.inTransaction(dataSource, tx -> ...)");
            }
        } catch (SQLException e) {
            throw new OutboxException("cannot read the connection's auto-commit mode: " + e.getMessage(), e);
        }
    }

    private static void rollback(Connection connection, Throwable failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * {@code events} with the headers of the {@link HeaderSource}, read now, in the appending thread;
     * an event's own header of the same name is kept.
     */
    private List<OutboxEvent> withSourcedHeaders(List<OutboxEvent> events) {
        if (headerSource == null || events.isEmpty()) {
            return events;
        }
        Map<String, String> sourced = headerSource.headers();
        if (sourced == null || sourced.isEmpty()) {
            return events;
        }
        List<OutboxEvent> decorated = new ArrayList<>(events.size());
        for (OutboxEvent event : events) {
            Map<String, String> headers = new LinkedHashMap<>(sourced);
            headers.putAll(event.headers());
            decorated.add(new OutboxEvent(
                    event.eventId(),
                    event.aggregateType(),
                    event.aggregateId(),
                    event.eventType(),
                    event.payload(),
                    headers));
        }
        return decorated;
    }

    /**
     * Headers every appended event gets, read in the appending thread at each append: the current
     * trace's {@code traceparent}, for example (see the {@code outbox-opentelemetry} module). Must be
     * quick and must not throw; {@code null} or an empty map adds nothing.
     */
    @FunctionalInterface
    public interface HeaderSource {
        @Nullable
        Map<String, String> headers();
    }

    /** The work of one transaction opened by {@link #inTransaction}. */
    @FunctionalInterface
    public interface Work<T> {
        T run(OutboxTransaction transaction) throws Exception;
    }

    private final class BufferingTransaction implements OutboxTransaction {
        private final Connection connection;
        private final List<OutboxEvent> events = new ArrayList<>();
        private boolean closed;

        BufferingTransaction(Connection connection) {
            this.connection = connection;
        }

        @Override
        public Connection connection() {
            return connection;
        }

        @Override
        public DSLContext dsl() {
            return DSL.using(connection, dialect.sqlDialect());
        }

        @Override
        public void append(OutboxEvent... newEvents) {
            append(Arrays.asList(Objects.requireNonNull(newEvents, "events")));
        }

        @Override
        public void append(List<OutboxEvent> newEvents) {
            Objects.requireNonNull(newEvents, "events");
            if (closed) {
                throw new OutboxConfigurationException(
                        "OutboxTransaction.append called after the transaction's work returned");
            }
            engine.validate(newEvents);
            events.addAll(withSourcedHeaders(newEvents));
        }

        void close() {
            closed = true;
        }
    }

    /** Builds an {@link OutboxWriter}. Not thread-safe; {@link #build()} validates. */
    public static final class Builder {
        private final OutboxDialect dialect;
        private OutboxTables tables = OutboxTables.defaults();
        private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
        private boolean notify;
        private @Nullable HeaderSource headerSource;

        private Builder(OutboxDialect dialect) {
            this.dialect = dialect;
        }

        /** Where the tables are. Default {@link OutboxTables#defaults()}. */
        public Builder tables(OutboxTables tables) {
            this.tables = Objects.requireNonNull(tables, "tables");
            return this;
        }

        /**
         * Largest payload accepted, in UTF-8 bytes. Default 1 MiB ({@value #DEFAULT_MAX_PAYLOAD_BYTES});
         * valid range 1 to 1 GiB. A larger payload is refused with {@link InvalidEventException}.
         */
        public Builder maxPayloadBytes(int maxPayloadBytes) {
            this.maxPayloadBytes = maxPayloadBytes;
            return this;
        }

        /**
         * Whether each append also sends a server-side notification (PostgreSQL {@code NOTIFY}) so
         * that relays in other processes wake at once. Default {@code false}: PostgreSQL serializes
         * the commits of transactions that notified (a database-wide lock held until the commit is
         * flushed), which lowers the commit throughput of concurrent writers, and the in-JVM wake-up
         * of {@link OutboxWriter#inTransaction} is faster within one process. Turn it on for writers
         * in other processes at modest commit rates. Ignored on databases without it.
         */
        public Builder notifyRelays(boolean notify) {
            this.notify = notify;
            return this;
        }

        /**
         * Headers to add to every event as it is appended, read from the appending thread (a trace's
         * context, say): {@link HeaderSource}. An event's own header of the same name wins. Default
         * none.
         */
        public Builder headers(HeaderSource source) {
            this.headerSource = Objects.requireNonNull(source, "source");
            return this;
        }

        public OutboxWriter build() {
            if (maxPayloadBytes < 1 || maxPayloadBytes > (1 << 30)) {
                throw new OutboxConfigurationException(
                        "writer: maxPayloadBytes must be in [1, 1073741824], was " + maxPayloadBytes);
            }
            return new OutboxWriter(this);
        }
    }
}
