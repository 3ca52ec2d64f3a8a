package dev.outbox.kafka.internal;

import dev.outbox.DownstreamUnavailableException;
import dev.outbox.Lease;
import dev.outbox.OutboxRecord;
import dev.outbox.PartialSuccessException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once publishing for one lease: a transactional producer whose {@code transactional.id}
 * names the consumer partition, so it is the same in every relay and for every lease; one Kafka
 * transaction per batch, holding the batch's records and the partition's position in the {@link
 * CheckpointTopic}.
 *
 * <p>Before its first batch, and again after any failure, the session creates its producer and calls
 * {@code initTransactions()}: that fences every earlier producer of the partition (a relay that lost
 * the lease while paused, the same session's producer that failed) and ends its open transaction,
 * and the session then reads the position back. Entries up to it are in Kafka already (committed
 * before their relay could save the checkpoint: a crash, a lost answer to a commit): they are
 * passed over, not sent again. A position written before the consumer's last reset (another {@link
 * Lease#resetGeneration()}) is passed over itself, so that the replay asked for happens. Records of a
 * failed transaction are aborted and never seen by {@code read_committed} consumers. Used by one
 * thread at a time.
 */
final class ExactlyOnceSession extends ProducerSession {

    private static final Logger LOG = LoggerFactory.getLogger(ExactlyOnceSession.class);

    private final CheckpointTopic checkpoints;
    private final String transactionalId;
    /** Kafka holds this partition's entries up to this seq; valid while {@code producer} is set. */
    private long publishedThrough;
    /** Another producer with this transactional.id took over: this session publishes nothing more. */
    private @Nullable Exception fencedBy;

    ExactlyOnceSession(Publishing publishing, Lease lease, CheckpointTopic checkpoints, String transactionalId) {
        super(publishing, lease);
        this.checkpoints = checkpoints;
        this.transactionalId = transactionalId;
    }

    /** Creates the producer, fences the partition's earlier producers and reads its position back. */
    void start() {
        if (fencedBy != null) {
            throw new DownstreamUnavailableException(
                    "another producer with transactional.id '" + transactionalId + "' fenced this one: another relay"
                            + " took the lease of " + lease.consumer() + " partition " + lease.partition()
                            + ", or another outbox publishes with the same transactionalIdPrefix",
                    fencedBy);
        }
        Producer<byte[], byte[]> created =
                new KafkaProducer<>(publishing.settings().producer(clientSuffix(), transactionalId));
        try {
            created.initTransactions();
            CheckpointTopic.Position position = checkpoints.read(transactionalId, lease);
            long through = lease.checkpoint();
            if (position != null && position.generation() == lease.resetGeneration() && position.seq() > through) {
                LOG.info(
                        "{}: Kafka holds its entries up to seq {} already (committed before their checkpoint was"
                                + " saved); they are not published again",
                        lease,
                        position.seq());
                through = position.seq();
            }
            publishedThrough = through;
            producer = created;
        } catch (RuntimeException e) {
            created.close(Duration.ZERO);
            throw e instanceof DownstreamUnavailableException
                    ? e
                    : new DownstreamUnavailableException(
                            "could not start transactional producer '" + transactionalId + "': " + e, e);
        }
    }

    @Override
    public void handle(List<OutboxRecord> batch) throws Exception {
        if (producer == null) {
            start();
        }
        int published = 0;
        while (published < batch.size() && batch.get(published).seq() <= publishedThrough) {
            published++;
        }
        if (published == batch.size()) {
            return;
        }
        List<OutboxRecord> rest = batch.subList(published, batch.size());
        Preflight.Checked checked = publishing.preflight().check(rest, lease);
        if (!checked.ready().isEmpty()) {
            long last = rest.get(checked.ready().size() - 1).seq();
            transact(rest, checked.ready(), checkpoints.record(transactionalId, lease, last), published);
            publishedThrough = last;
        }
        if (!checked.complete()) {
            throw new PartialSuccessException(
                    published + checked.ready().size(), Objects.requireNonNull(checked.rejected()));
        }
    }

    /**
     * Re-driven dead letters: published in a transaction of their own, without moving the position
     * (they are behind it). At least once: a crash after the commit and before the relay removed the
     * letters re-drives them again.
     */
    @Override
    public void redeliver(List<OutboxRecord> deadLetters) throws Exception {
        if (producer == null) {
            start();
        }
        Preflight.Checked checked = publishing.preflight().check(deadLetters, lease);
        if (!checked.ready().isEmpty()) {
            transact(deadLetters, checked.ready(), null, 0);
        }
        if (!checked.complete()) {
            throw new PartialSuccessException(checked.ready().size(), Objects.requireNonNull(checked.rejected()));
        }
    }

    /**
     * Sends {@code ready}, the records of {@code entries}' first ones, and {@code position} in one
     * transaction and commits it. On any failure the transaction is abandoned (the producer closed:
     * the next {@code initTransactions()} aborts it, or finds it committed, and the position read then
     * says which) and the relay told: the {@code before} entries ahead of {@code entries} are published.
     */
    private void transact(
            List<OutboxRecord> entries,
            List<ProducerRecord<byte[], byte[]>> ready,
            @Nullable ProducerRecord<byte[], byte[]> position,
            int before)
            throws Exception {
        Producer<byte[], byte[]> current = Objects.requireNonNull(producer);
        SentBatch sent = new SentBatch(ready.size(), () -> {});
        try {
            current.beginTransaction();
            for (int i = 0; i < ready.size(); i++) {
                current.send(ready.get(i), sent.callback(i));
            }
            if (position != null) {
                current.send(position);
            }
            current.commitTransaction();
        } catch (InterruptException e) {
            abandon(current);
            throw e;
        } catch (RuntimeException e) {
            abandon(current);
            if (e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException) {
                fencedBy = e;
            }
            Exception recordFailure = recordFault(sent, ready.size());
            if (recordFailure != null) {
                int failed = indexOf(sent, recordFailure, ready.size());
                RuntimeException refused = KafkaFailures.of(recordFailure, entries.get(failed));
                if (failed == 0) {
                    throw new PartialSuccessException(before, refused);
                }
                // the records before it were aborted with it, not published: the relay narrows the
                // batch down until the failing entry is alone
                throw refused;
            }
            DownstreamUnavailableException unavailable = new DownstreamUnavailableException(
                    "Kafka transaction of " + transactionalId + " did not commit (" + e + "); it is aborted and the"
                            + " batch published again by a new producer",
                    e);
            throw before > 0 ? new PartialSuccessException(before, unavailable) : unavailable;
        }
    }

    private static @Nullable Exception recordFault(SentBatch sent, int size) {
        for (int i = 0; i < size; i++) {
            Exception failure = sent.failureOf(i);
            if (failure != null && KafkaFailures.isRecordFault(failure)) {
                return failure;
            }
        }
        return null;
    }

    private static int indexOf(SentBatch sent, Exception failure, int size) {
        for (int i = 0; i < size; i++) {
            if (sent.failureOf(i) == failure) {
                return i;
            }
        }
        return 0;
    }
}
