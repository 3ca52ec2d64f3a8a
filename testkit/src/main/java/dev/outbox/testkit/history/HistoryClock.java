package dev.outbox.testkit.history;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The time line of a history: microseconds since the epoch, read from the monotonic clock of the
 * JVM so that it never goes back within a process. Processes on one machine agree to within the
 * error of their start-up readings of the wall clock (microseconds), which is far below every
 * interval the checker compares across processes.
 */
public final class HistoryClock {

    private static final long BASE_MICROS = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    private static final long BASE_NANOS = System.nanoTime();

    private HistoryClock() {}

    /** Now, in microseconds since the epoch. */
    public static long nowMicros() {
        return BASE_MICROS + (System.nanoTime() - BASE_NANOS) / 1_000;
    }

    /** A time stamp of this clock, readable: {@code 12:03:04.123456}. */
    public static String format(long micros) {
        if (micros == Long.MAX_VALUE || micros < 0) {
            return "unknown";
        }
        Instant instant = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
        String text = instant.toString(); // 2024-01-01T12:03:04.123456Z
        int t = text.indexOf('T');
        return text.substring(t + 1, text.length() - 1);
    }
}
