package dev.outbox.testkit.history;

import java.util.List;
import java.util.Objects;

/**
 * One way a run broke a guarantee, with the smallest evidence that shows it.
 *
 * @param kind which guarantee
 * @param summary one line: what happened
 * @param evidence the events, seqs, transactions and time stamps that prove it
 */
public record Violation(Kind kind, String summary, List<String> evidence) {

    /** The guarantees the checker verifies. */
    public enum Kind {
        /** A committed event is missing from the log or from a consumer. */
        LOST_EVENT,
        /** An event of a rolled-back transaction, or of no transaction, was logged or delivered. */
        PHANTOM_EVENT,
        /** The log's seqs are not 1, 2, 3, ... without holes, or {@code next_seq} disagrees. */
        SEQ_GAP,
        /** One event has two entries in the log. */
        DUPLICATE_IN_LOG,
        /** The transactional consumer applied an event more than once. */
        TRANSACTIONAL_DUPLICATE,
        /** The at-least-once consumer saw an event again without a fault during its first batch. */
        UNEXPLAINED_DUPLICATE,
        /** A consumer's handler was called with seqs out of order. */
        DELIVERY_ORDER,
        /** A transaction whose commit returned before another's append began was sequenced after it. */
        REAL_TIME_ORDER,
        /** Events of one key reached the log or a consumer in another order than the row's versions. */
        KEY_ORDER,
        /** What the clients recorded disagrees with the database's business rows. */
        HISTORY_MISMATCH,
        /** An event was both delivered to a consumer and discarded from its dead letters. */
        DELIVERED_AND_DISCARDED,
        /**
         * A handler got an event while an earlier one (of its key, for PARK_KEY; any, for BLOCK) was
         * neither delivered nor discarded nor earlier in the same call.
         */
        HANDED_OUT_OF_ORDER,
        /** An event was parked after attempts its handler never failed for a reason that counts. */
        PARKED_WITHOUT_FAULT,
        /** Two relays' calls of one consumer's handler overlapped, with no fault to explain it. */
        OVERLAPPING_CALLS,
        /** A consumer's status said something that was not true when it was read. */
        STALE_STATUS,
        /**
         * A transactional batch committed by a relay that its partition's row did not name as owner,
         * or two relays committed batches of one partition under one epoch.
         */
        TWO_OWNERS
    }

    public Violation {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(summary, "summary");
        evidence = List.copyOf(evidence);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(kind.name()).append(": ").append(summary);
        for (String line : evidence) {
            text.append("\n      ").append(line);
        }
        return text.toString();
    }
}
