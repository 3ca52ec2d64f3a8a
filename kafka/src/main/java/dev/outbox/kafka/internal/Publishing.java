package dev.outbox.kafka.internal;

import dev.outbox.Lease;
import dev.outbox.SessionHandler;
import java.time.Duration;
import java.util.Objects;
import org.apache.kafka.clients.admin.Admin;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a publisher's sessions share: the checked producer settings, the record mapping and its
 * preflight, one admin client, and in exactly-once mode the checkpoint topic. Opens a session per
 * lease in the publisher's mode. Thread-safe; closing it closes the admin client.
 */
public final class Publishing implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Publishing.class);

    /** Exactly-once mode: the prefix of the partitions' transactional ids and the checkpoint topic. */
    public record ExactlyOnce(String transactionalIdPrefix, String checkpointTopic) {}

    private final ProducerSettings settings;
    private final SharedAdmin admin;
    private final Preflight preflight;
    private final long answerTimeoutMillis;
    private final @Nullable ExactlyOnce exactlyOnce;
    private final @Nullable CheckpointTopic checkpoints;

    public Publishing(ProducerSettings settings, RecordMapper mapper, @Nullable ExactlyOnce exactlyOnce) {
        this.settings = Objects.requireNonNull(settings, "settings");
        ProducerSettings.Checked checked = settings.validate();
        this.admin = new SharedAdmin(() -> Admin.create(settings.admin("admin")));
        this.preflight = new Preflight(mapper, checked.maxRequestSize(), new TopicLimits(admin));
        // every record is answered within the delivery timeout; past it by far, something is stuck
        this.answerTimeoutMillis = checked.deliveryTimeoutMillis() + 30_000L;
        this.exactlyOnce = exactlyOnce;
        this.checkpoints = exactlyOnce == null
                ? null
                : new CheckpointTopic(
                        exactlyOnce.checkpointTopic(),
                        admin,
                        settings,
                        Duration.ofMillis(answerTimeoutMillis).multipliedBy(2));
        LOG.info(
                "Kafka publisher: {}; idempotent producer, acks=all, a new producer after any failure",
                exactlyOnce == null
                        ? "at least once (one request in flight)"
                        : "exactly once (transactional.id " + exactlyOnce.transactionalIdPrefix()
                                + "-<consumer>-<partition>, positions in topic '" + exactlyOnce.checkpointTopic()
                                + "')");
    }

    ProducerSettings settings() {
        return settings;
    }

    Preflight preflight() {
        return preflight;
    }

    long answerTimeoutMillis() {
        return answerTimeoutMillis;
    }

    /** A session for {@code lease}: its producer is created when it first publishes. */
    public SessionHandler.Session open(Lease lease) {
        if (exactlyOnce == null) {
            return new AtLeastOnceSession(this, lease);
        }
        ExactlyOnceSession session = new ExactlyOnceSession(
                this, lease, Objects.requireNonNull(checkpoints), transactionalId(exactlyOnce, lease));
        session.start();
        return session;
    }

    /** The transactional id of a consumer partition: the same in every relay, for every lease. */
    static String transactionalId(ExactlyOnce exactlyOnce, Lease lease) {
        return exactlyOnce.transactionalIdPrefix() + "-" + lease.consumer() + "-" + lease.partition();
    }

    @Override
    public void close() {
        admin.close();
    }
}
