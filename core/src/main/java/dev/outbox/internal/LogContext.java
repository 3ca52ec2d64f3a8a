package dev.outbox.internal;

import dev.outbox.OutboxRecord;
import java.util.List;
import java.util.Map;
import org.slf4j.MDC;

/**
 * The keys the relay puts in SLF4J's MDC, so that log lines say what they are about: on each of its
 * threads for as long as it runs, {@code outbox.relay} (the relay id), and on a consumer's thread
 * {@code outbox.consumer} and, for a split consumer, {@code outbox.partition}; around every handler
 * call, {@code outbox.seq} (the batch's first..last seq, or the one seq) and, when the batch is one
 * event, {@code outbox.eventId}, removed when the handler returns or throws.
 */
final class LogContext {

    static final String RELAY = "outbox.relay";
    static final String CONSUMER = "outbox.consumer";
    static final String PARTITION = "outbox.partition";
    static final String SEQ = "outbox.seq";
    static final String EVENT_ID = "outbox.eventId";

    private LogContext() {}

    /** Puts {@code keys} in this thread's MDC, for as long as the thread runs a relay loop. */
    static void enter(Map<String, String> keys) {
        keys.forEach(MDC::put);
    }

    /** Removes {@code keys} from this thread's MDC. */
    static void leave(Map<String, String> keys) {
        keys.keySet().forEach(MDC::remove);
    }

    /**
     * Puts the handler call's keys for {@code records} in this thread's MDC; closing the returned
     * scope removes them.
     */
    static HandlerScope aroundHandler(List<OutboxRecord> records) {
        long first = records.get(0).seq();
        long last = records.get(records.size() - 1).seq();
        MDC.put(SEQ, first == last ? Long.toString(first) : first + ".." + last);
        if (records.size() == 1) {
            MDC.put(EVENT_ID, records.get(0).eventId().toString());
        }
        return HANDLER_SCOPE;
    }

    /** The keys of one handler call, removed on close. */
    interface HandlerScope extends AutoCloseable {
        @Override
        void close();
    }

    private static final HandlerScope HANDLER_SCOPE = () -> {
        MDC.remove(SEQ);
        MDC.remove(EVENT_ID);
    };
}
