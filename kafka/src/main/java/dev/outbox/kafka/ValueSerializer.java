package dev.outbox.kafka;

import dev.outbox.OutboxRecord;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The bytes of a Kafka record's value for a log entry. The default, {@link #payloadUtf8()}, sends the
 * payload as it was appended; a serializer of your own can wrap it in an envelope or convert it
 * (JSON to Avro, say). Called on a consumer's thread for every entry; thread-safe. What it throws
 * makes the entry unpublishable: it goes to the consumer's failure policy, like any failed event.
 */
@FunctionalInterface
public interface ValueSerializer {

    /** The value of {@code record}'s Kafka record; {@code null} publishes a tombstone. */
    byte @Nullable [] serialize(OutboxRecord record) throws Exception;

    /** The payload's UTF-8 bytes, unchanged. */
    static ValueSerializer payloadUtf8() {
        return record -> record.payload().getBytes(StandardCharsets.UTF_8);
    }
}
