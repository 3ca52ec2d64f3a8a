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
 * @param read every entry read, in seq order, without holes
 * @param handed the entries the handler gets
 * @param behindKey the entries parked behind their key
 */
record LogBatch(List<OutboxRecord> read, List<OutboxRecord> handed, List<OutboxRecord> behindKey) {

    private static final Logger LOG = LoggerFactory.getLogger(LogBatch.class);

    LogBatch {
        read = List.copyOf(read);
        handed = List.copyOf(handed);
        behindKey = List.copyOf(behindKey);
    }

    /**
     * Reads up to {@code limit} entries after {@code checkpoint}: the longest prefix that continues
     * the checkpoint without a hole. The first entry may be past the checkpoint only where
     * retention removed the entries between.
     *
     * @throws LogGapException if the log has a hole right after the checkpoint
     */
    static LogBatch read(
            RelayContext context,
            Connection connection,
            String consumer,
            long checkpoint,
            int limit,
            Set<String> parkedKeys)
            throws SQLException {
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
        if (parkedKeys.isEmpty()) {
            return new LogBatch(read, read, List.of());
        }
        List<OutboxRecord> handed = new ArrayList<>(read.size());
        List<OutboxRecord> behind = new ArrayList<>();
        for (OutboxRecord record : read) {
            (parkedKeys.contains(record.aggregateId()) ? behind : handed).add(record);
        }
        return new LogBatch(read, handed, behind);
    }

    boolean isEmpty() {
        return read.isEmpty();
    }

    long lastSeq() {
        return read.get(read.size() - 1).seq();
    }

    /** The entries parked behind their key with a seq below {@code seq}. */
    List<OutboxRecord> behindKeyBefore(long seq) {
        return behindKey.stream().filter(r -> r.seq() < seq).toList();
    }
}
