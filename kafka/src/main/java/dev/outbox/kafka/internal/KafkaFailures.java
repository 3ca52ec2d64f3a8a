package dev.outbox.kafka.internal;

import dev.outbox.DownstreamUnavailableException;
import dev.outbox.OutboxException;
import dev.outbox.OutboxRecord;
import dev.outbox.kafka.UnpublishableRecordException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;

/**
 * What a failed send means for the outbox: a failure of the entry itself, which its consumer's
 * failure policy decides on (the broker refused the record for good: too large, an invalid topic, a
 * topic the producer may not write), or an unavailable downstream, waited out for ever and never
 * counted (the broker unreachable, a timeout, a leader election, anything else: an error that is not
 * known to be the record's is never held against it).
 */
final class KafkaFailures {

    private KafkaFailures() {}

    static boolean isRecordFault(Throwable failure) {
        return failure instanceof RecordTooLargeException
                || failure instanceof RecordBatchTooLargeException
                || failure instanceof InvalidTopicException
                || failure instanceof SerializationException
                || failure instanceof TopicAuthorizationException;
    }

    /** The exception that tells the relay what the failure of {@code entry}'s send means. */
    static OutboxException of(Throwable failure, OutboxRecord entry) {
        if (isRecordFault(failure)) {
            return new UnpublishableRecordException(
                    "seq " + entry.seq() + " (key '" + entry.aggregateId()
                            + "') cannot be published: the broker refused" + " it: " + failure,
                    failure);
        }
        return new DownstreamUnavailableException(
                "Kafka did not acknowledge seq " + entry.seq() + " (" + failure + "); the producer was closed and a"
                        + " new one sends it again",
                failure);
    }
}
