package dev.outbox.kafka.connect.internal;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where a task starts each of its partitions: after Connect's offset when Connect has one (its
 * offsets commit with the records in exactly-once mode, so they are exact; the database row is only
 * a copy), else at the database row's checkpoint (a consumer of that name that existed before the
 * connector), else at the start of the retained log. Pure.
 */
public final class StartPositions {

    private StartPositions() {}

    /**
     * The last delivered seq of {@code partition}: the task delivers the entries after it.
     *
     * @param connectOffset the seq of Connect's offset for the partition, or {@code null}
     * @param rowCheckpoint the checkpoint of the partition's consumer row, or {@code null} if none
     * @param lowestRetained the lowest seq still in the log
     * @throws IllegalStateException if entries after Connect's offset were removed by retention
     *     while the consumer row did not show them delivered (the row was deleted or reset
     *     meanwhile): they are lost to this connector, and the message says how to go on
     */
    public static long of(
            String consumer,
            int partition,
            @Nullable Long connectOffset,
            @Nullable Long rowCheckpoint,
            long lowestRetained) {
        if (connectOffset != null) {
            long position = connectOffset;
            if (position + 1 < lowestRetained && (rowCheckpoint == null || rowCheckpoint + 1 < lowestRetained)) {
                throw new IllegalStateException("consumer '" + consumer + "' partition " + partition
                        + ": Connect's offset is seq " + position + ", but log retention removed the entries from "
                        + (position + 1) + " to " + (lowestRetained - 1) + " while the consumer's row did not hold"
                        + " them (deleted or reset meanwhile?): they cannot be delivered. To go on without them,"
                        + " stop the connector and set its offsets at or after seq " + (lowestRetained - 1)
                        + " (PATCH /connectors/<name>/offsets)");
            }
            return position;
        }
        if (rowCheckpoint != null) {
            return Math.max(rowCheckpoint, lowestRetained - 1);
        }
        return lowestRetained - 1;
    }

    /** The seq of an offset as Connect returns it ({@code {"seq": N}}), or {@code null}. */
    public static @Nullable Long seqOf(@Nullable Map<String, ?> offset) {
        if (offset == null) {
            return null;
        }
        Object seq = offset.get("seq");
        return seq instanceof Number number ? number.longValue() : null;
    }
}
