package dev.outbox.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.LoggerFactory;

/**
 * Counts what MariaDB Connector/J sends to the server, from its own debug log ("execute query:
 * ..."): the queries the application issued and those the driver adds (isolation checks,
 * autocommit switches). The shared MariaDB has no performance_schema, and its global counters
 * include the other users of the server.
 */
final class DriverLogCounter extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    private static final String DRIVER_LOGGER = "org.mariadb.jdbc.client.impl.StandardClient";

    final LongAdder queries = new LongAdder();
    final Map<String, LongAdder> byQuery = new ConcurrentHashMap<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(DRIVER_LOGGER);
    private final Level previousLevel = logger.getLevel();
    private final boolean previousAdditive = logger.isAdditive();
    private volatile boolean counting;

    DriverLogCounter() {
        setContext(logger.getLoggerContext());
        setName("bench-driver-counter");
        start();
        logger.addAppender(this);
        logger.setAdditive(false);
        logger.setLevel(Level.DEBUG);
    }

    void reset(boolean count) {
        queries.reset();
        byQuery.clear();
        counting = count;
    }

    @Override
    protected void append(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        if (counting && message != null && message.startsWith("execute query:")) {
            queries.increment();
            String sql = message.substring("execute query:".length()).trim();
            byQuery.computeIfAbsent(sql.length() > 70 ? sql.substring(0, 70) : sql, k -> new LongAdder())
                    .increment();
        }
    }

    @Override
    public void close() {
        logger.setLevel(previousLevel);
        logger.setAdditive(previousAdditive);
        logger.detachAppender(this);
        stop();
    }
}
