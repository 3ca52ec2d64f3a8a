package dev.outbox.spi;

import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Server-side wake-ups (PostgreSQL LISTEN/NOTIFY). Optional: a database without them relies on
 * adaptive polling and the in-JVM wake-up, which lose nothing, only latency.
 *
 * <p>A notification is only a hint that something may be waiting; receivers always read the
 * tables to find out.
 */
public interface Notifications {

    /**
     * SQL that sends {@code payload} on {@code channel} when the current transaction commits, with
     * the channel and payload as its two bind parameters in that order. Must be valid inside a
     * transaction and must not need any privilege beyond what appending requires.
     */
    String notifySql();

    /**
     * Starts listening on {@code channel} on a connection of its own, calling {@code onPayload} from
     * a daemon thread created by the listener for each notification. Reconnects by itself when the
     * connection is lost. The returned handle stops the thread and closes the connection.
     */
    AutoCloseable listen(DataSource dataSource, String channel, Consumer<String> onPayload);
}
