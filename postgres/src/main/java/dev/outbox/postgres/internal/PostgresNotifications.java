package dev.outbox.postgres.internal;

import dev.outbox.spi.Notifications;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTEN/NOTIFY. The listener holds one connection of the data source for as long as it runs and
 * reconnects when it is lost; after a reconnect it reports one "event" and one "log" notification,
 * because notifications sent while it was away are lost.
 */
public final class PostgresNotifications implements Notifications {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresNotifications.class);

    @Override
    public String notifySql() {
        return "select pg_notify(?, ?)";
    }

    @Override
    public AutoCloseable listen(DataSource dataSource, String channel, Consumer<String> onPayload) {
        Listener listener = new Listener(dataSource, channel, onPayload);
        Thread thread = new Thread(listener, "outbox-listener");
        thread.setDaemon(true);
        thread.start();
        return () -> {
            listener.stopping = true;
            thread.join(5_000);
        };
    }

    private static final class Listener implements Runnable {
        private final DataSource dataSource;
        private final String channel;
        private final Consumer<String> onPayload;
        private volatile boolean stopping;

        Listener(DataSource dataSource, String channel, Consumer<String> onPayload) {
            this.dataSource = dataSource;
            this.channel = channel;
            this.onPayload = onPayload;
        }

        @Override
        public void run() {
            boolean failing = false;
            long backoffMillis = 100;
            while (!stopping) {
                try (Connection connection = dataSource.getConnection()) {
                    if (!connection.getAutoCommit()) {
                        connection.setAutoCommit(true);
                    }
                    try (Statement listen = connection.createStatement()) {
                        // The channel name comes from validated identifiers; quoted, it keeps its case.
                        listen.execute("LISTEN \"" + channel + "\"");
                    }
                    if (failing) {
                        LOG.info("listener on channel {} reconnected", channel);
                        failing = false;
                        backoffMillis = 100;
                    }
                    onPayload.accept("event");
                    onPayload.accept("log");
                    PGConnection pg = connection.unwrap(PGConnection.class);
                    while (!stopping) {
                        PGNotification[] notifications = pg.getNotifications(250);
                        if (notifications != null) {
                            for (PGNotification notification : notifications) {
                                onPayload.accept(notification.getParameter());
                            }
                        }
                    }
                    try (Statement unlisten = connection.createStatement()) {
                        unlisten.execute("UNLISTEN *");
                    }
                } catch (SQLException | RuntimeException e) {
                    if (!failing) {
                        LOG.warn("listener on channel {} lost its connection; reconnecting with back-off", channel, e);
                        failing = true;
                    }
                    try {
                        Thread.sleep(backoffMillis);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                    backoffMillis = Math.min(5_000, backoffMillis * 2);
                }
            }
        }
    }
}
