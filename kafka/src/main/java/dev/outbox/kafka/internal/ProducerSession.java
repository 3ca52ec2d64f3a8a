package dev.outbox.kafka.internal;

import dev.outbox.Lease;
import dev.outbox.SessionHandler;
import java.time.Duration;
import org.apache.kafka.clients.producer.Producer;
import org.jspecify.annotations.Nullable;

/**
 * What both modes' sessions share: the lease, and the producer of the lease, created when first
 * needed, abandoned after a failure (closed at once, without sending what it still holds: the next
 * batch gets a new one) and closed with the session. Used by one thread at a time.
 */
abstract class ProducerSession implements SessionHandler.Session {

    protected final Publishing publishing;
    protected final Lease lease;
    protected @Nullable Producer<byte[], byte[]> producer;

    ProducerSession(Publishing publishing, Lease lease) {
        this.publishing = publishing;
        this.lease = lease;
    }

    /** The name of the lease's producer, after the user's {@code client.id}. */
    protected String clientSuffix() {
        return lease.consumer() + "-" + lease.partition();
    }

    /** Closes {@code failed} at once, never flushing it; the next batch gets a new producer. */
    protected void abandon(Producer<byte[], byte[]> failed) {
        failed.close(Duration.ZERO);
        if (producer == failed) {
            producer = null;
        }
    }

    @Override
    public void close() {
        Producer<byte[], byte[]> current = producer;
        producer = null;
        if (current != null) {
            current.close(Duration.ofSeconds(5));
        }
    }
}
