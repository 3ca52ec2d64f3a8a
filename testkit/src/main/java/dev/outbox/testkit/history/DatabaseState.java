package dev.outbox.testkit.history;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What the database holds at the end of a run: the source of truth the checker judges the
 * recordings against.
 *
 * @param log every entry of the outbox log, in seq order
 * @param nextSeq the sequencer's {@code next_seq}
 * @param queued ids of events still in the queue table (a drained run has none)
 * @param committedTxIds ids of the transactions whose business row (written in the same
 *     transaction as their events) exists: the database's record of what committed
 * @param rowVersions the version of each business row now
 * @param projection the rows the transactional consumer wrote, in the order it applied them
 */
public record DatabaseState(
        List<LogEntry> log,
        long nextSeq,
        Set<UUID> queued,
        Set<String> committedTxIds,
        Map<String, Long> rowVersions,
        List<ProjectionRow> projection) {

    /** One entry of the log table. */
    public record LogEntry(long seq, UUID eventId, String aggregateId) {}

    /**
     * One row the transactional consumer's handler inserted, in the relay's transaction.
     *
     * @param applyId insertion order (an identity column)
     * @param appliedMicros when the handler applied it ({@link HistoryClock} of the relay's process)
     */
    public record ProjectionRow(
            long applyId, long seq, UUID eventId, String aggregateId, String relayId, long appliedMicros) {}

    public DatabaseState {
        log = List.copyOf(log);
        queued = Set.copyOf(queued);
        committedTxIds = Set.copyOf(committedTxIds);
        rowVersions = Map.copyOf(rowVersions);
        projection = List.copyOf(projection);
    }
}
