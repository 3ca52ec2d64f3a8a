package dev.outbox;

import java.time.Instant;
import java.util.Objects;

/**
 * Something a relay cannot fix by itself and keeps working around, as {@link
 * OutboxRelay#problems()} reports it: a loop that keeps failing (the database unreachable, the
 * tables missing, an unexpected error in the relay's own code), or another relay running with the
 * same relayId. Each is logged once when it appears; it disappears when the loop recovers.
 * Immutable.
 *
 * @param source where: {@code "sequencer"}, {@code "consumer 'search-index'"} or {@code "relay"}
 * @param description what, with the error's class and message
 * @param since when this relay first met it (the relay's clock)
 */
public record RelayProblem(String source, String description, Instant since) {

    public RelayProblem {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(since, "since");
    }

    @Override
    public String toString() {
        return source + ": " + description + " (since " + since + ")";
    }
}
