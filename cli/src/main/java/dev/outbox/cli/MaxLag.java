package dev.outbox.cli;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A limit of {@code status --max-lag}: a count of log entries ({@code 10000}) or an age ({@code 5m}),
 * exactly one of the two.
 *
 * @param events the most log entries a consumer may have after its checkpoint, or {@code null}
 * @param age the oldest a consumer's first undelivered entry may be, or {@code null}
 */
record MaxLag(@Nullable Long events, @Nullable Duration age) {

    /** A plain number is a count of entries; anything else is read as a duration. */
    static MaxLag parse(String text) {
        String trimmed = text.trim();
        if (!trimmed.isEmpty() && trimmed.chars().allMatch(Character::isDigit)) {
            try {
                return new MaxLag(Long.parseLong(trimmed), null);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--max-lag " + text + " is too large");
            }
        }
        return new MaxLag(null, Durations.parse(trimmed));
    }

    @Override
    public String toString() {
        return events != null ? events + " entries" : Durations.format(age);
    }

    /** Reads --max-lag. */
    static final class Converter implements ITypeConverter<MaxLag> {
        @Override
        public MaxLag convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(
                        "'" + value + "' is neither a count of events (10000) nor a" + " duration (5m, 1h30m)");
            }
        }
    }
}
