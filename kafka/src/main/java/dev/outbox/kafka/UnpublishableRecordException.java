package dev.outbox.kafka;

import dev.outbox.OutboxException;
import org.jspecify.annotations.Nullable;

/**
 * A log entry cannot be published as it is, whatever the broker's state: its record is larger than
 * the producer or the topic accepts, its topic is not a valid name, its value could not be
 * serialized, or the broker refused it for good (an invalid record, a topic it may not write to).
 * It is a failure of that entry: the consumer's {@link dev.outbox.RetryPolicy} and {@link
 * dev.outbox.FailurePolicy} decide (the default {@code BLOCK} stops there and shows the error in the
 * status; {@code PARK} and {@code PARK_KEY} park it). Nothing after it in the batch is sent.
 */
public class UnpublishableRecordException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public UnpublishableRecordException(String message) {
        super(message);
    }

    public UnpublishableRecordException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
