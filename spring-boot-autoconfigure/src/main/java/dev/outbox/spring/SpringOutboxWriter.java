package dev.outbox.spring;

import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxWriter;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.core.Ordered;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.util.ClassUtils;

/**
 * Appends events inside the Spring-managed transaction of the calling thread ({@code @Transactional}
 * or a {@code TransactionTemplate}): they commit exactly when the business change does, and a
 * rollback leaves none.
 *
 * <p>{@link #append(OutboxEvent...)} buffers the events in the transaction; they are inserted as
 * its last statement, in {@code beforeCommit}, on the transaction's own connection, after any
 * JPA persistence context bound to the transaction was flushed. That order is what makes the log
 * keep the commit order of transactions that update the same row (the aggregate's): the second
 * one cannot insert its events before the first committed, because it waits for the row's lock
 * first. After the commit, the relays of this JVM are woken.
 *
 * <p>Works with any transaction manager that binds a JDBC connection of {@code dataSource} to the
 * transaction: {@code DataSourceTransactionManager} ({@code JdbcTemplate}, jOOQ's Spring-aware
 * {@code DSLContext}) and {@code JpaTransactionManager} (Hibernate). Thread-safe: one instance
 * serves every thread.
 */
public final class SpringOutboxWriter {

    private static final boolean JPA_PRESENT = ClassUtils.isPresent(
                    "org.springframework.orm.jpa.EntityManagerHolder", SpringOutboxWriter.class.getClassLoader())
            && ClassUtils.isPresent("jakarta.persistence.EntityManager", SpringOutboxWriter.class.getClassLoader());

    private final OutboxWriter writer;
    private final DataSource dataSource;

    /**
     * A writer whose events go through {@code writer} on the connection the transaction holds of
     * {@code dataSource} (the DataSource the transaction manager manages).
     */
    public SpringOutboxWriter(OutboxWriter writer, DataSource dataSource) {
        this.writer = Objects.requireNonNull(writer, "writer");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** The writer that inserts the events. */
    public OutboxWriter writer() {
        return writer;
    }

    /**
     * Adds {@code events} to the current transaction; they are inserted just before it commits.
     *
     * @throws OutboxConfigurationException if no Spring-managed transaction is active in this
     *     thread (nothing is buffered then)
     */
    public void append(OutboxEvent... events) {
        append(Arrays.asList(Objects.requireNonNull(events, "events")));
    }

    /** Like {@link #append(OutboxEvent...)}. */
    public void append(List<OutboxEvent> events) {
        Objects.requireNonNull(events, "events");
        if (!TransactionSynchronizationManager.isActualTransactionActive()
                || !TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new OutboxConfigurationException("SpringOutboxWriter.append needs a Spring-managed transaction"
                    + " in this thread, and there is none: call it from a @Transactional method (of a Spring"
                    + " bean, called through its proxy) or inside TransactionTemplate.execute(...). Outside a"
                    + " transaction the events would not share the fate of your business writes.");
        }
        events.forEach(event -> Objects.requireNonNull(event, "event"));
        Pending pending = (Pending) TransactionSynchronizationManager.getResource(this);
        if (pending == null) {
            pending = new Pending();
            TransactionSynchronizationManager.bindResource(this, pending);
            TransactionSynchronizationManager.registerSynchronization(pending);
        }
        pending.events.addAll(events);
    }

    /** Flushes the JPA persistence contexts bound to the transaction, so their writes come first. */
    private static void flushPersistenceContexts() {
        if (JPA_PRESENT) {
            JpaFlush.flushBound();
        }
    }

    /** The events of one transaction, and what inserts them. Bound to the transaction as a resource. */
    private final class Pending implements TransactionSynchronization {
        private final List<OutboxEvent> events = new ArrayList<>();

        @Override
        public int getOrder() {
            // After every other synchronization's beforeCommit: the events are the last statement.
            return Ordered.LOWEST_PRECEDENCE;
        }

        @Override
        public void suspend() {
            // An inner REQUIRES_NEW transaction must not see (or add to) this transaction's events.
            TransactionSynchronizationManager.unbindResource(SpringOutboxWriter.this);
        }

        @Override
        public void resume() {
            TransactionSynchronizationManager.bindResource(SpringOutboxWriter.this, this);
        }

        @Override
        public void beforeCommit(boolean readOnly) {
            if (events.isEmpty()) {
                return;
            }
            if (readOnly) {
                throw new OutboxConfigurationException("SpringOutboxWriter: events were appended in a read-only"
                        + " transaction (@Transactional(readOnly = true)); append in a read-write transaction");
            }
            // The transaction manager binds its connection to its DataSource when the transaction
            // begins; without one for the writer's, DataSourceUtils would hand out (and bind) a fresh
            // auto-commit connection that is no part of the transaction.
            if (!(TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder)) {
                throw new OutboxConfigurationException("SpringOutboxWriter: the transaction manager of this"
                        + " transaction does not manage the DataSource the writer appends through, so the"
                        + " events would not commit with your business writes; give the writer the"
                        + " DataSource of your transaction manager");
            }
            flushPersistenceContexts();
            Connection connection = DataSourceUtils.getConnection(dataSource);
            try {
                writer.append(connection, events);
            } finally {
                DataSourceUtils.releaseConnection(connection, dataSource);
            }
        }

        @Override
        public void afterCommit() {
            if (!events.isEmpty()) {
                writer.signalCommitted();
            }
        }

        @Override
        public void afterCompletion(int status) {
            TransactionSynchronizationManager.unbindResourceIfPossible(SpringOutboxWriter.this);
        }
    }
}
