package dev.outbox.cli;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;

/** Points in time as operators give them, and as the tool prints them (ISO-8601, UTC, milliseconds). */
final class Times {

    private Times() {}

    /**
     * An ISO-8601 time with its offset ({@code 2026-05-01T12:00:00Z}, {@code
     * 2026-05-01T14:00:00+02:00}), or a duration back from now on {@code clock} ({@code 90m}: ninety
     * minutes ago).
     *
     * @throws IllegalArgumentException naming the text and the forms accepted
     */
    static Instant parse(String text, Clock clock) {
        String trimmed = text.trim();
        try {
            return OffsetDateTime.parse(trimmed).toInstant();
        } catch (DateTimeParseException notATime) {
            try {
                return clock.instant().minus(Durations.parse(trimmed));
            } catch (IllegalArgumentException notADuration) {
                throw new IllegalArgumentException(
                        "'" + text + "' is neither a time with an offset"
                                + " (2026-05-01T12:00:00Z, 2026-05-01T14:00:00+02:00) nor a duration back from now (90m, 2h, 1d)");
            }
        }
    }

    /** {@code 2026-05-01T12:00:00.123Z}, or {@code -} for none. */
    static String format(@Nullable Instant instant) {
        return instant == null ? "-" : DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.MILLIS));
    }
}
