package dev.outbox.kafka.connect.internal;

import java.util.ArrayDeque;
import java.util.List;

/**
 * How far a task's log entries have all reached Kafka: the position the task may copy to its
 * consumer rows, so that log retention (which never passes a consumer row) keeps every entry Kafka
 * does not have yet. A task reads the log in batches, each covering the seqs after the previous
 * batch's end up to its own; a batch returns records for some of those entries (its partitions'),
 * and is delivered when Kafka acknowledged each of them. The position is the end of the last batch
 * of the longest delivered run from the start: every entry up to it either reached Kafka or belongs
 * to a partition the task does not serve (or one it had delivered before).
 *
 * <p>Pure, no I/O; thread-safe (Connect acknowledges records on the producer's thread).
 */
public final class DeliveryTracker {

    private static final class Batch {
        final long end;
        int outstanding;

        Batch(long end, int outstanding) {
            this.end = end;
            this.outstanding = outstanding;
        }
    }

    private final ArrayDeque<Batch> batches = new ArrayDeque<>();
    private long delivered;

    /** A tracker of a task that had delivered everything up to {@code start}. */
    public DeliveryTracker(long start) {
        this.delivered = start;
    }

    /**
     * A batch was read up to {@code end} (its last seq) and returned records for {@code seqs}, all
     * above the previous batch's end.
     */
    public synchronized void polled(long end, List<Long> seqs) {
        long previousEnd = batches.isEmpty() ? delivered : batches.peekLast().end;
        if (end < previousEnd) {
            throw new IllegalArgumentException("a batch ending at " + end + " after one ending at " + previousEnd);
        }
        for (long seq : seqs) {
            if (seq <= previousEnd || seq > end) {
                throw new IllegalArgumentException(
                        "record of seq " + seq + " outside its batch (" + previousEnd + ", " + end + "]");
            }
        }
        batches.addLast(new Batch(end, seqs.size()));
    }

    /** Kafka acknowledged the record of {@code seq}. A seq of no batch (delivered already) is ignored. */
    public synchronized void acknowledged(long seq) {
        for (Batch batch : batches) {
            if (seq <= batch.end) {
                batch.outstanding--;
                return;
            }
        }
    }

    /** The seq up to which every entry was delivered (or is not this task's). */
    public synchronized long delivered() {
        while (!batches.isEmpty() && batches.peekFirst().outstanding <= 0) {
            delivered = batches.removeFirst().end;
        }
        return delivered;
    }
}
