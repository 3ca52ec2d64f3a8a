package dev.outbox.testkit.history;

import dev.outbox.testkit.history.Violation.Kind;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The checker's verdict: the violations found, with evidence, and the counts a summary needs.
 *
 * @param violations every violation, in the order found
 * @param committedTransactions transactions the database has the business row of
 * @param rolledBackTransactions the others
 * @param unknownTransactions transactions whose commit failed in flight (settled by the database)
 * @param committedEvents events of committed transactions
 * @param logEntries entries in the log
 * @param transactionalApplies rows the transactional consumer wrote
 * @param atLeastOnceDeliveries events handed to the at-least-once consumer, redeliveries included
 * @param duplicates redeliveries to the at-least-once consumer
 * @param explainedDuplicates redeliveries of a batch in flight at a fault
 */
public record CheckReport(
        List<Violation> violations,
        int committedTransactions,
        int rolledBackTransactions,
        int unknownTransactions,
        int committedEvents,
        int logEntries,
        int transactionalApplies,
        int atLeastOnceDeliveries,
        int duplicates,
        int explainedDuplicates) {

    /** Violations printed per kind; the rest are counted. */
    public static final int SHOWN_PER_KIND = 5;

    public CheckReport {
        violations = List.copyOf(violations);
    }

    public boolean ok() {
        return violations.isEmpty();
    }

    /** The violations of one kind. */
    public List<Violation> violations(Kind kind) {
        return violations.stream().filter(v -> v.kind() == kind).toList();
    }

    /** Number of violations per kind, kinds without any left out. */
    public Map<Kind, Integer> counts() {
        Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
        for (Violation violation : violations) {
            counts.merge(violation.kind(), 1, Integer::sum);
        }
        return counts;
    }

    /** The violations, at most {@link #SHOWN_PER_KIND} of each kind, with their evidence. */
    public String describeViolations() {
        if (violations.isEmpty()) {
            return "no violations";
        }
        StringBuilder text = new StringBuilder(violations.size() + " violation(s): " + counts());
        Map<Kind, Integer> shown = new EnumMap<>(Kind.class);
        for (Violation violation : violations) {
            int n = shown.merge(violation.kind(), 1, Integer::sum);
            if (n <= SHOWN_PER_KIND) {
                text.append("\n  - ").append(violation);
            } else if (n == SHOWN_PER_KIND + 1) {
                text.append("\n  - ")
                        .append(violation.kind())
                        .append(": ")
                        .append(counts().get(violation.kind()) - SHOWN_PER_KIND)
                        .append(" more not shown");
            }
        }
        return text.toString();
    }

    /** Throws an {@link AssertionError} with {@link #describeViolations()} unless there are none. */
    public void assertNoViolations() {
        if (!ok()) {
            throw new AssertionError(describeViolations());
        }
    }
}
