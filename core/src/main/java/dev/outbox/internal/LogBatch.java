package dev.outbox.internal;

import dev.outbox.OutboxRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consecutive log entries read after a consumer's checkpoint, split into the events for the handler
 * and those {@link dev.outbox.FailurePolicy#PARK_KEY} parks behind an earlier parked event of
 * their key without calling the handler. Immutable.
 *
 * <p>A split consumer's partition reads only its own entries, whose seqs have holes (the other
 * partitions' entries); it sees all of them up to a head it read first, so it may save its
 * checkpoint there, past its last entry, even when it read none.
 *
 * @param read every entry read, in seq order, without holes (a partition: every entry of it)
 * @param handed the entries the handler gets
 * @param behindKey the entries parked behind their key
 * @param lastSeq the seq the checkpoint moves to once the batch is processed; the checkpoint it
 *     was read after when there is nothing to process
 * @param rowsRead the log rows the read returned
 * @param after the checkpoint the batch was read after
 * @param more whether more entries may be read at once (the read stopped at its limit, or a
 *     partition's at the end of its window)
 */
record LogBatch(
        List<OutboxRecord> read,
        List<OutboxRecord> handed,
        List<OutboxRecord> behindKey,
        long lastSeq,
        int rowsRead,
        long after,
        boolean more) {

    private static final Logger LOG = LoggerFactory.getLogger(LogBatch.class);

    LogBatch {
        read = List.copyOf(read);
        handed = List.copyOf(handed);
        behindKey = List.copyOf(behindKey);
    }

    /**
     * Reads up to {@code limit} entries of {@code part} after {@code checkpoint}: for a consumer that
     * is not split, the longest prefix that continues the checkpoint without a hole (the first entry
     * may be past the checkpoint only where retention removed the entries between); for a partition,
     * its entries up to {@code maxSeq} and the log's head.
     *
     * @throws LogGapException if the log has a hole right after the checkpoint
     */
    static LogBatch read(
            RelayContext context,
            Connection connection,
            Partition part,
            long checkpoint,
            long maxSeq,
            int limit,
            Set<String> parkedKeys)
            throws SQLException {
        if (part.isSplit()) {
            ConsumerSql.PartitionRead entries =
                    context.consumers.readPartition(connection, part, checkpoint, maxSeq, limit);
            return split(
                    entries.records(), parkedKeys, entries.coveredTo(), entries.rowsRead(), checkpoint, entries.more());
        }
        String consumer = part.consumer();
        List<OutboxRecord> read = context.consumers.readLog(connection, checkpoint, limit);
        if (!read.isEmpty() && read.get(0).seq() != checkpoint + 1) {
            long first = read.get(0).seq();
            long lowest = context.consumers.lowestRetainedSeq(connection);
            if (!(first == lowest && lowest > checkpoint + 1)) {
                throw new LogGapException("consumer '" + consumer + "': the log has no seq " + (checkpoint + 1)
                        + " but has " + first + "; waiting for it");
            }
            LOG.warn(
                    "consumer '{}': entries {}..{} were removed by retention before it read them",
                    consumer,
                    checkpoint + 1,
                    first - 1);
        }
        for (int i = 1; i < read.size(); i++) {
            if (read.get(i).seq() != read.get(i - 1).seq() + 1) {
                read = read.subList(0, i);
                break;
            }
        }
        long last = read.isEmpty() ? checkpoint : read.get(read.size() - 1).seq();
        return split(read, parkedKeys, last, read.size(), checkpoint, read.size() == limit);
    }

    private static LogBatch split(
            List<OutboxRecord> read, Set<String> parkedKeys, long lastSeq, int rowsRead, long after, boolean more) {
        if (parkedKeys.isEmpty()) {
            return new LogBatch(read, read, List.of(), lastSeq, rowsRead, after, more);
        }
        List<OutboxRecord> handed = new ArrayList<>(read.size());
        List<OutboxRecord> behind = new ArrayList<>();
        for (OutboxRecord record : read) {
            (parkedKeys.contains(record.aggregateId()) ? behind : handed).add(record);
        }
        return new LogBatch(read, handed, behind, lastSeq, rowsRead, after, more);
    }

    /** Whether the read found nothing to process: the checkpoint stays where it is. */
    boolean isEmpty() {
        return lastSeq <= after;
    }

    /** The entries parked behind their key with a seq below {@code seq}. */
    List<OutboxRecord> behindKeyBefore(long seq) {
        return behindKey.stream().filter(r -> r.seq() < seq).toList();
    }
}
