package dev.outbox.internal;

import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a relay checks and prepares once, before its loops do anything: the schema (tables of the
 * version this build needs) and every registered consumer's checkpoint row (so that {@link
 * dev.outbox.StartPosition#HEAD} is the head when the relay started). {@code start()} runs it; when
 * the database is unreachable then, each loop runs it before its first step, and a missing schema
 * is reported as such, not retried as if it were a lost connection. Thread-safe.
 */
final class StartupCheck {

    private final RelayContext context;
    private final List<ConsumerLease> consumers = new CopyOnWriteArrayList<>();
    private volatile boolean done;

    StartupCheck(RelayContext context) {
        this.context = context;
    }

    /** Adds a consumer whose checkpoint row the check creates. */
    void register(ConsumerLease consumer) {
        consumers.add(consumer);
    }

    /**
     * Runs the check unless it succeeded before.
     *
     * @throws dev.outbox.OutboxSchemaException if the tables are missing or of another version
     * @throws SQLException if the database cannot be reached
     */
    void ensure() throws SQLException {
        if (done) {
            return;
        }
        synchronized (this) {
            if (done) {
                return;
            }
            context.checkSchema();
            for (ConsumerLease consumer : consumers) {
                consumer.createRowIfMissing();
            }
            done = true;
        }
    }
}
