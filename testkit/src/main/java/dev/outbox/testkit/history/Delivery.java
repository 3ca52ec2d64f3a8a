package dev.outbox.testkit.history;

import java.util.Objects;
import java.util.UUID;

/**
 * One event handed to a consumer's handler, as the handler recorded it.
 *
 * @param consumer the consumer's name
 * @param relayId the relay that delivered it
 * @param batchId unique id of the handler call it came in ({@code <relayId>#<n>})
 * @param batchStartMicros when that handler call began ({@link HistoryClock})
 * @param seq the event's seq
 * @param eventId the event's id
 * @param aggregateId the event's key
 * @param deliveredMicros when the handler processed it
 */
public record Delivery(
        String consumer,
        String relayId,
        String batchId,
        long batchStartMicros,
        long seq,
        UUID eventId,
        String aggregateId,
        long deliveredMicros) {

    public Delivery {
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(relayId, "relayId");
        Objects.requireNonNull(batchId, "batchId");
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(aggregateId, "aggregateId");
    }

    /** One line of a recording file (see {@link #parse(String)}). */
    public String toLine() {
        return String.join(
                "\t",
                consumer,
                relayId,
                batchId,
                Long.toString(batchStartMicros),
                Long.toString(seq),
                eventId.toString(),
                aggregateId,
                Long.toString(deliveredMicros));
    }

    /** Reads a line written by {@link #toLine()}. */
    public static Delivery parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 8) {
            throw new IllegalArgumentException("not a delivery line: " + line);
        }
        return new Delivery(
                f[0],
                f[1],
                f[2],
                Long.parseLong(f[3]),
                Long.parseLong(f[4]),
                UUID.fromString(f[5]),
                f[6],
                Long.parseLong(f[7]));
    }

    @Override
    public String toString() {
        return "seq " + seq + " (" + eventId + ", key " + aggregateId + ") to " + consumer + " by " + relayId
                + " in batch " + batchId + " at " + HistoryClock.format(deliveredMicros);
    }
}
