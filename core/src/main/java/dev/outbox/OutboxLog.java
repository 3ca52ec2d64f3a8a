package dev.outbox;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Read access to the log and the queue of one set of outbox tables, for tools and probes: {@link
 * OutboxRelay#log()}. Every call reads the database (one short statement or two, no lock taken) and
 * works whether or not the relay is started. Every method throws {@link OutboxException} if the
 * database cannot be read.
 */
public interface OutboxLog {

    /** The last seq given out (0 before the first). */
    long head();

    /** The lowest seq still in the log, or {@code head() + 1} when retention removed every entry. */
    long lowestRetained();

    /** Up to {@code limit} entries from {@code fromSeq} on, in seq order (as far as retention kept them). */
    List<OutboxRecord> read(long fromSeq, int limit);

    /** The entry at {@code seq}, unless it is not (or no longer) in the log. */
    Optional<OutboxRecord> entry(long seq);

    /**
     * The first seq sequenced at or after {@code time}, for a replay from a point in time; {@code
     * head() + 1} when none was. Reads the retained log's {@code sequenced_at}, which has no index: a
     * tool's call, not a hot path.
     */
    long firstSeqSequencedAtOrAfter(Instant time);

    /**
     * The queue as a probe sees it: how many events wait to be sequenced (committed ones: counted up
     * to {@code countUpTo}, so the cost stays bounded), how old the oldest is, and how long ago the
     * last batch was sequenced.
     */
    Queue queue(int countUpTo);

    /**
     * What {@link #queue(int)} saw.
     *
     * @param waiting committed events waiting in the queue, at most the {@code countUpTo} asked for
     * @param countCapped whether more may wait than {@code waiting} says
     * @param oldest age of the oldest waiting event, or {@code null} when none waits
     * @param sinceLastSequenced time since the head entry was sequenced, or {@code null} when the log
     *     holds no entry (empty, or every entry removed by retention)
     * @param readAt the database's time of the reading
     */
    record Queue(
            long waiting,
            boolean countCapped,
            @Nullable Duration oldest,
            @Nullable Duration sinceLastSequenced,
            Instant readAt) {}
}
