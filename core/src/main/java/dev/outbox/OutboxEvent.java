package dev.outbox;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An event to append to the outbox: what happened ({@code eventType}) to which aggregate ({@code
 * aggregateId}, the ordering and partitioning key), with a payload and optional headers.
 *
 * <p>Immutable and thread-safe. The constructor validates every field and throws {@link
 * InvalidEventException} with the field's name, so an invalid event never reaches the database.
 *
 * @param eventId unique id of the event, handed to consumers as an idempotency key; the factories
 *     generate a random one
 * @param aggregateType kind of aggregate ({@code "course"}), at most 255 characters, or {@code null}
 * @param aggregateId key of the aggregate the event is about, 1 to 255 characters, not blank;
 *     events of one key are delivered in the order their transactions wrote the key's row
 * @param eventType name of what happened ({@code "StudentEnrolled"}), 1 to 255 characters, not blank
 * @param payload the event body, typically JSON; may be empty; its size is limited by {@link
 *     OutboxWriter.Builder#maxPayloadBytes(int)}
 * @param headers string headers (content type, trace context); never {@code null}
 */
public record OutboxEvent(
        UUID eventId,
        @Nullable String aggregateType,
        String aggregateId,
        String eventType,
        String payload,
        Map<String, String> headers) {

    /** Longest {@code aggregateType}, {@code aggregateId} and {@code eventType}, in characters. */
    public static final int MAX_NAME_LENGTH = 255;

    public OutboxEvent {
        if (eventId == null) {
            throw new InvalidEventException("eventId must not be null: use OutboxEvent.of(...) to generate one");
        }
        requireName("aggregateId", aggregateId);
        requireName("eventType", eventType);
        if (aggregateType != null && aggregateType.length() > MAX_NAME_LENGTH) {
            throw new InvalidEventException(
                    "aggregateType must be at most " + MAX_NAME_LENGTH + " characters, was " + aggregateType.length());
        }
        if (payload == null) {
            throw new InvalidEventException("payload of event '" + eventType + "' for key '" + aggregateId
                    + "' must not be null: pass \"\" for an event without a body");
        }
        if (headers == null) {
            throw new InvalidEventException("headers must not be null: pass Map.of() for none");
        }
        for (Map.Entry<String, String> header : headers.entrySet()) {
            if (header.getKey() == null || header.getValue() == null) {
                throw new InvalidEventException("headers must not contain null names or values, found "
                        + header.getKey() + "=" + header.getValue());
            }
        }
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** An event with a random id, no aggregate type and no headers. */
    public static OutboxEvent of(String aggregateId, String eventType, String payload) {
        return new OutboxEvent(UUID.randomUUID(), null, aggregateId, eventType, payload, Map.of());
    }

    /** An event with a random id and no headers. */
    public static OutboxEvent of(String aggregateType, String aggregateId, String eventType, String payload) {
        return new OutboxEvent(UUID.randomUUID(), aggregateType, aggregateId, eventType, payload, Map.of());
    }

    /** This event with one more header (replacing a header of the same name). */
    public OutboxEvent withHeader(String name, String value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.put(name, value);
        return new OutboxEvent(eventId, aggregateType, aggregateId, eventType, payload, copy);
    }

    /** This event with the given id, for callers that derive ids themselves. */
    public OutboxEvent withEventId(UUID id) {
        return new OutboxEvent(id, aggregateType, aggregateId, eventType, payload, headers);
    }

    private static void requireName(String field, @Nullable String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidEventException(field + " must not be " + (value == null ? "null" : "blank")
                    + ": every event needs an " + field + " (1 to " + MAX_NAME_LENGTH + " characters)");
        }
        if (value.length() > MAX_NAME_LENGTH) {
            throw new InvalidEventException(
                    field + " must be at most " + MAX_NAME_LENGTH + " characters, was " + value.length());
        }
    }
}
