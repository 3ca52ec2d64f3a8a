package dev.outbox.kafka.internal;

import dev.outbox.Lease;
import dev.outbox.OutboxRecord;
import dev.outbox.PartialSuccessException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At-least-once publishing for one lease: an idempotent producer of its own; a batch sent as a whole,
 * every acknowledgement awaited, and only then the relay told it succeeded (so the checkpoint moves
 * only past what Kafka acknowledged). On the first failure the producer is closed at once, from its
 * own I/O thread, and never flushed; the relay is told how many records from the first were
 * acknowledged ({@link PartialSuccessException}), and a new producer sends the rest. The producer has
 * one request in flight ({@link ProducerSettings#ONE_REQUEST_IN_FLIGHT} says why), so no later request
 * of it is written while an earlier one waits to be sent again. So a key's records reach Kafka in seq
 * order, some perhaps twice after a fault, never a newer one before an older one. Used by one thread
 * at a time.
 */
final class AtLeastOnceSession extends ProducerSession {

    private static final Logger LOG = LoggerFactory.getLogger(AtLeastOnceSession.class);

    AtLeastOnceSession(Publishing publishing, Lease lease) {
        super(publishing, lease);
    }

    @Override
    public void handle(List<OutboxRecord> batch) throws Exception {
        Preflight.Checked checked = publishing.preflight().check(batch, lease);
        List<ProducerRecord<byte[], byte[]>> ready = checked.ready();
        if (!ready.isEmpty()) {
            send(batch, ready);
        }
        if (!checked.complete()) {
            throw new PartialSuccessException(ready.size(), Objects.requireNonNull(checked.rejected()));
        }
    }

    /** Sends {@code ready}, the records of {@code batch}'s first entries, and awaits every answer. */
    private void send(List<OutboxRecord> batch, List<ProducerRecord<byte[], byte[]>> ready) throws Exception {
        Producer<byte[], byte[]> current = producer();
        // on the producer's I/O thread, at the first failure: nothing after it leaves this producer
        SentBatch sent = new SentBatch(ready.size(), () -> current.close(Duration.ZERO));
        for (int i = 0; i < ready.size(); i++) {
            try {
                current.send(ready.get(i), sent.callback(i));
            } catch (Exception e) { // closed by a failure already, or refused at once: no callback comes
                sent.failed(i, e);
                sent.notSent(i);
                break;
            }
        }
        if (sent.firstFailure() == null) {
            try {
                // sends what waits for linger.ms at once: the batch is whole; after a failure the
                // producer is closed already, and a flush has nothing left to send
                current.flush();
            } catch (RuntimeException e) { // closed by a failure meanwhile: the callbacks tell
                LOG.debug("{}: flush after a failure", lease, e);
            }
        }
        try {
            if (!sent.await(publishing.answerTimeoutMillis())) {
                abandon(current); // the callbacks of every record still waiting come now
                sent.await(Long.MAX_VALUE);
            }
        } catch (InterruptedException e) {
            abandon(current);
            throw e;
        }
        Exception first = sent.firstFailure();
        if (first == null) {
            return;
        }
        abandon(current);
        int acked = sent.ackedPrefix();
        Exception failure = sent.failureOf(acked);
        // the record after the acknowledged ones may have failed only because the producer was closed
        // for another record's failure: the first failure says what happened
        Exception cause = failure != null && KafkaFailures.isRecordFault(failure) ? failure : first;
        throw new PartialSuccessException(acked, KafkaFailures.of(cause, batch.get(acked)));
    }

    private Producer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(publishing.settings().producer(clientSuffix(), null));
        }
        return producer;
    }
}
