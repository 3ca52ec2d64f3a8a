package dev.outbox.testkit.history;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

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
 * @param projection the rows the transactional consumer wrote, in the order it applied them;
 *     {@code null} when the run has no transactional consumer to check
 * @param effects the rows the transactional {@link FaultyConsumer}s wrote, in the order they wrote them
 * @param deadLetters every row of the dead-letter table
 */
public record DatabaseState(
        List<LogEntry> log,
        long nextSeq,
        Set<UUID> queued,
        Set<String> committedTxIds,
        Map<String, Long> rowVersions,
        @Nullable List<ProjectionRow> projection,
        List<EffectRow> effects,
        List<DeadLetterRow> deadLetters) {

    /** One entry of the log table. */
    public record LogEntry(long seq, UUID eventId, String aggregateId) {}

    /**
     * One row the transactional consumer's handler inserted, in the relay's transaction.
     *
     * @param applyId insertion order (an identity column)
     * @param appliedMicros when the handler applied it ({@link HistoryClock} of the relay's process)
     * @param partition the consumer's partition that applied it
     * @param ownerSeen the partition's owner, as its row said in the batch's transaction (which
     *     holds the row's lock)
     * @param epochSeen the partition's epoch, read with {@code ownerSeen}
     */
    public record ProjectionRow(
            long applyId,
            long seq,
            UUID eventId,
            String aggregateId,
            String relayId,
            long appliedMicros,
            int partition,
            @Nullable String ownerSeen,
            long epochSeen) {}

    /**
     * One row a transactional {@link FaultyConsumer}'s handler inserted, in the relay's transaction.
     *
     * @param applyId insertion order
     * @param appliedMicros when the handler wrote it ({@link HistoryClock} of the relay's process)
     */
    public record EffectRow(
            long applyId, String consumer, long seq, UUID eventId, String relayId, long appliedMicros) {}

    /** One row of the dead-letter table: {@code status} is its name in the table. */
    public record DeadLetterRow(String consumer, long seq, String status, int attempts) {}

    public DatabaseState {
        log = List.copyOf(log);
        queued = Set.copyOf(queued);
        committedTxIds = Set.copyOf(committedTxIds);
        rowVersions = Map.copyOf(rowVersions);
        projection = projection == null ? null : List.copyOf(projection);
        effects = List.copyOf(effects);
        deadLetters = List.copyOf(deadLetters);
    }

    /**
     * The state of a run of an application's own consumers: outbox's tables, the transactions whose
     * business row exists, and each row's version now. There is no transactional consumer's
     * projection to check: a consumer's deliveries are in the {@link History}.
     */
    public static DatabaseState of(OutboxState outbox, Set<String> committedTxIds, Map<String, Long> rowVersions) {
        return new DatabaseState(
                outbox.log(),
                outbox.nextSeq(),
                outbox.queued(),
                committedTxIds,
                rowVersions,
                null,
                List.of(),
                outbox.deadLetters());
    }

    /** A state without faulty consumers. */
    public DatabaseState(
            List<LogEntry> log,
            long nextSeq,
            Set<UUID> queued,
            Set<String> committedTxIds,
            Map<String, Long> rowVersions,
            List<ProjectionRow> projection) {
        this(log, nextSeq, queued, committedTxIds, rowVersions, projection, List.of(), List.of());
    }
}
