package dev.outbox;

import java.sql.Connection;
import java.util.List;
import org.jooq.DSLContext;

/**
 * The transaction {@link OutboxWriter#inTransaction} opened for you: do your business writes on
 * {@link #connection()} (or {@link #dsl()}) and {@link #append} events. The events are buffered and
 * inserted as the last statement before commit, which makes the ordering guarantee cover every
 * transaction that wrote a row this one wrote.
 *
 * <p>Valid only inside the callback and only on the thread that runs it. Do not commit, roll back
 * or close the connection: the writer does.
 */
public interface OutboxTransaction {

    /** The connection of this transaction (auto-commit off). */
    Connection connection();

    /** A jOOQ context over {@link #connection()} in the writer's dialect. */
    DSLContext dsl();

    /**
     * Buffers events to insert just before commit, in this order. Validates them now: an invalid
     * event throws {@link InvalidEventException} here, and nothing of it is buffered.
     */
    void append(OutboxEvent... events);

    /** Like {@link #append(OutboxEvent...)}. */
    void append(List<OutboxEvent> events);
}
