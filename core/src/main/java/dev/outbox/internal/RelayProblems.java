package dev.outbox.internal;

import dev.outbox.RelayProblem;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The problems one relay's loops have now, by source, for {@link dev.outbox.OutboxRelay#problems()}.
 * A loop reports a problem when it starts failing and clears it when it recovers; the board keeps
 * when each began. Thread-safe: every loop writes, any thread reads.
 */
final class RelayProblems {

    /** Source of problems about the relay as a whole, such as a second relay with its id. */
    static final String RELAY_ID = "relay";

    private final Clock clock;
    private final Map<String, RelayProblem> problems = new ConcurrentHashMap<>();

    RelayProblems(Clock clock) {
        this.clock = clock;
    }

    /**
     * Records that {@code source} has {@code description} now; returns whether that is new (the
     * source had no problem, or another one), so the caller logs once per change.
     */
    boolean report(String source, String description) {
        RelayProblem previous = problems.get(source);
        if (previous != null && previous.description().equals(description)) {
            return false;
        }
        problems.put(
                source, new RelayProblem(source, description, previous == null ? clock.instant() : previous.since()));
        return true;
    }

    void clear(String source) {
        problems.remove(source);
    }

    /** The problems now, oldest first. */
    List<RelayProblem> list() {
        List<RelayProblem> list = new ArrayList<>(problems.values());
        list.sort(Comparator.comparing(RelayProblem::since).thenComparing(RelayProblem::source));
        return List.copyOf(list);
    }
}
