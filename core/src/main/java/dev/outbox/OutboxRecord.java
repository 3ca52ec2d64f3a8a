package dev.outbox;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An event as a consumer receives it: an entry of the log with its gap-free sequence number.
 *
 * <p>Immutable and thread-safe. {@code seq} and {@code eventId} are both stable across
 * redeliveries, so either serves as an idempotency key for at-least-once handlers.
 *
 * @param seq position in the log: 1, 2, 3, ... without gaps, in commit order (see the README's
 *     ordering guarantee)
 * @param eventId the id the event was appended with
 * @param aggregateType kind of aggregate, or {@code null}
 * @param aggregateId key of the aggregate
 * @param eventType name of what happened
 * @param payload the event body
 * @param headers the event's headers; values that were not JSON strings (from a plain SQL insert)
 *     are given as their JSON text
 * @param createdAt when the event was appended (database time)
 * @param sequencedAt when the relay gave the event its {@code seq} (database time)
 */
public record OutboxRecord(
        long seq,
        UUID eventId,
        @Nullable String aggregateType,
        String aggregateId,
        String eventType,
        String payload,
        Map<String, String> headers,
        Instant createdAt,
        Instant sequencedAt) {

    public OutboxRecord {
        headers = Map.copyOf(headers);
    }
}
