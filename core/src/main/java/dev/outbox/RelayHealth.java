package dev.outbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Whether a relay does its work, for a health probe: {@link OutboxRelay#health()}.
 *
 * <p>{@link Status#DOWN} only for what restarting or replacing this instance (or fixing the
 * database) would cure: the relay is not running, the database cannot be read, or sequencing has
 * stalled (committed events have waited in the queue longer than {@link
 * Thresholds#sequencingStalledAfter()} and no batch was sequenced for as long). A blocked, waiting
 * or lagging consumer is a {@link #warnings() warning}: restarting the instance would not unblock it,
 * so it must not fail a liveness probe. Wire it to readiness, and to liveness only with a generous
 * failure threshold (a database outage makes every instance DOWN); alert on warnings (and on the
 * metrics).
 *
 * @param status UP or DOWN
 * @param reasons why it is DOWN (empty when UP)
 * @param warnings consumers blocked, waiting for their downstream or lagging past {@link
 *     Thresholds#consumerLagWarning()}, and problems the relay works around ({@link
 *     OutboxRelay#problems()})
 * @param details what the check read: {@code relayId}, {@code running}, {@code sequencing}, {@code
 *     queued}, {@code oldestQueued}, {@code sinceLastSequenced} and, under {@code consumers}, each
 *     consumer's state and lag (those that need the database are absent when it could not be read)
 */
public record RelayHealth(Status status, List<String> reasons, List<String> warnings, Map<String, Object> details) {

    public RelayHealth {
        Objects.requireNonNull(status, "status");
        reasons = List.copyOf(reasons);
        warnings = List.copyOf(warnings);
        details = Map.copyOf(details);
    }

    /** Whether the relay does its work. */
    public enum Status {
        UP,
        DOWN
    }

    /** Whether {@link #status()} is UP. */
    public boolean isUp() {
        return status == Status.UP;
    }

    /**
     * The limits {@link OutboxRelay#health(Thresholds)} judges by.
     *
     * @param sequencingStalledAfter how long committed events may wait in the queue, with no batch
     *     sequenced meanwhile, before sequencing counts as stalled (DOWN); default 1 minute
     * @param consumerLagWarning how old a consumer's oldest undelivered entry may be before it is a
     *     warning; default 5 minutes
     */
    public record Thresholds(Duration sequencingStalledAfter, Duration consumerLagWarning) {

        public Thresholds {
            requirePositive(sequencingStalledAfter, "sequencingStalledAfter");
            requirePositive(consumerLagWarning, "consumerLagWarning");
        }

        /** 1 minute and 5 minutes. */
        public static Thresholds defaults() {
            return new Thresholds(Duration.ofMinutes(1), Duration.ofMinutes(5));
        }

        private static void requirePositive(Duration value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new OutboxConfigurationException(
                        "RelayHealth.Thresholds: " + name + " must be positive, was " + value);
            }
        }
    }
}
