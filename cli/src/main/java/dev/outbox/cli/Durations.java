package dev.outbox.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as operators type them ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 2d}) and print them. */
final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");

    private Durations() {}

    /**
     * Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 2d}, or ISO-8601 ({@code
     * PT5M}).
     *
     * @throws IllegalArgumentException naming the text and the forms accepted
     */
    static Duration parse(String text) {
        String trimmed = text.trim().toLowerCase(Locale.ROOT);
        if (trimmed.startsWith("p")) {
            try {
                return requireNotNegative(Duration.parse(trimmed.toUpperCase(Locale.ROOT)), text);
            } catch (DateTimeParseException e) {
                throw invalid(text);
            }
        }
        if (!WHOLE.matcher(trimmed).matches()) {
            throw invalid(text);
        }
        Duration total = Duration.ZERO;
        Matcher part = PART.matcher(trimmed);
        try {
            while (part.find()) {
                long amount = Long.parseLong(part.group(1));
                total = total.plus(
                        switch (part.group(2)) {
                            case "ms" -> Duration.ofMillis(amount);
                            case "s" -> Duration.ofSeconds(amount);
                            case "m" -> Duration.ofMinutes(amount);
                            case "h" -> Duration.ofHours(amount);
                            default -> Duration.ofDays(amount);
                        });
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("duration '" + text + "' is too long");
        }
        return total;
    }

    /** {@code 850ms}, {@code 42s}, {@code 5m03s}, {@code 2h05m}, {@code 3d04h}: two units at most. */
    static String format(Duration duration) {
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        long millis = duration.toMillis();
        if (millis < 1000) {
            return millis + "ms";
        }
        long seconds = duration.toSeconds();
        if (seconds < 60) {
            long tenths = (millis % 1000) / 100;
            return seconds < 10 && tenths > 0 ? seconds + "." + tenths + "s" : seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        if (seconds < 86_400) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", seconds / 86_400, (seconds % 86_400) / 3600);
    }

    private static Duration requireNotNegative(Duration duration, String text) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("duration '" + text + "' is negative");
        }
        return duration;
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException(
                "'" + text + "' is not a duration: write 500ms, 30s, 5m, 1h30m, 2d or" + " ISO-8601 (PT5M)");
    }
}
