package dev.outbox.internal;

import dev.outbox.OutboxTables;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * The in-JVM wake-up: a writer that committed events signals every relay in this JVM that
 * sequences the same tables, so they need not wait for their next poll.
 *
 * <p>Keyed by the qualified table names only, not by database: two relays of different databases
 * with the same table names wake each other needlessly, which costs one poll and loses nothing.
 */
final class LocalWakeups {

    private static final ConcurrentHashMap<String, Set<Runnable>> LISTENERS = new ConcurrentHashMap<>();

    private LocalWakeups() {}

    /** Registers a listener for commits to {@code tables}; the returned handle removes it. */
    static AutoCloseable register(OutboxTables tables, Runnable listener) {
        String key = key(tables);
        LISTENERS.computeIfAbsent(key, k -> new CopyOnWriteArraySet<>()).add(listener);
        return () -> LISTENERS.computeIfPresent(key, (k, set) -> {
            set.remove(listener);
            return set.isEmpty() ? null : set;
        });
    }

    /** Tells every listener of {@code tables} that events were committed. Never blocks. */
    static void signal(OutboxTables tables) {
        Set<Runnable> listeners = LISTENERS.get(key(tables));
        if (listeners != null) {
            listeners.forEach(Runnable::run);
        }
    }

    /**
     * The name of the server-side notification channel for {@code tables}: one identifier of at
     * most 63 characters, so it is valid in PostgreSQL's LISTEN.
     */
    static String channel(OutboxTables tables) {
        String name = (tables.schema() == null ? "" : tables.schema() + "_") + tables.prefix() + "wakeup";
        return name.length() <= 63 ? name : name.substring(name.length() - 63);
    }

    private static String key(OutboxTables tables) {
        return tables.qualified(tables.eventTable());
    }
}
