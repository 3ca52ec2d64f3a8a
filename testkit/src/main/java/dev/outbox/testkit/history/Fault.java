package dev.outbox.testkit.history;

import java.util.Objects;

/**
 * A fault injected during a run, with the interval of time it may have disturbed.
 *
 * @param kind what was done
 * @param startMicros when the fault began ({@link HistoryClock})
 * @param endMicros when the system was back in its normal state (the replacement relay owns the
 *     work, the server accepts connections again)
 * @param detail which relay, which process, which sessions
 */
public record Fault(Kind kind, long startMicros, long endMicros, String detail) {

    /** The kinds of faults a run injects. */
    public enum Kind {
        /** A relay closed ({@code close()}) and another started: no redelivery is allowed. */
        RELAY_STOPPED_AND_STARTED(false),
        /** A relay in another JVM killed with SIGKILL while a batch was in its handler. */
        RELAY_PROCESS_KILLED(true),
        /**
         * The relays' database sessions killed from the server side. A relay sees a killed session
         * only when it next uses the connection, which may come after the kill returned: HikariCP
         * hands out a connection used in the last 500 ms without checking it. So a batch that began
         * up to {@link Fault#AFTER_EFFECT_MICROS} after the fault may fail on such a connection too.
         */
        RELAY_CONNECTIONS_KILLED(true),
        /** The database server crashed and was started again. */
        SERVER_RESTARTED(true),
        /**
         * A relay in another JVM frozen with SIGSTOP until the others took its partitions over (past
         * its lease), then resumed with SIGCONT: it finds its leases lost and rejoins.
         */
        RELAY_PROCESS_PAUSED(true),
        /** A relay in another JVM started next to the running ones: partitions are handed over to it. */
        RELAY_JOINED(false),
        /**
         * Every relay process stopped ({@code close()} on SIGTERM) and replaced by a new one, one
         * after another: a rolling restart.
         */
        RELAYS_RESTARTED_IN_TURN(false);

        private final boolean mayRedeliver;

        Kind(boolean mayRedeliver) {
            this.mayRedeliver = mayRedeliver;
        }

        /** Whether an at-least-once consumer may see the batch in flight at this fault again. */
        public boolean mayRedeliver() {
            return mayRedeliver;
        }
    }

    /** How long after a {@link Kind#RELAY_CONNECTIONS_KILLED} fault a batch may still meet a killed session. */
    public static final long AFTER_EFFECT_MICROS = 1_000_000;

    /** Whether this fault may have redelivered a batch in flight from {@code fromMicros} to {@code toMicros}. */
    public boolean mayRedeliverBatch(long fromMicros, long toMicros) {
        long end = kind == Kind.RELAY_CONNECTIONS_KILLED ? endMicros + AFTER_EFFECT_MICROS : endMicros;
        return kind.mayRedeliver() && startMicros <= toMicros && end >= fromMicros;
    }

    public Fault {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String toString() {
        return kind + " " + HistoryClock.format(startMicros) + ".." + HistoryClock.format(endMicros) + " (" + detail
                + ")";
    }
}
