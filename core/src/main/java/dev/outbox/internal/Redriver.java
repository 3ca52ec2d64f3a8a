package dev.outbox.internal;

import dev.outbox.DeadLetter;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the re-drives asked for one consumer, on its own thread, before it reads on in the
 * log: each dead letter waiting for re-drive is delivered alone, in seq order, and removed once
 * delivered. One that fails again is parked again with its attempt count raised.
 *
 * <p>Under {@link FailurePolicy#PARK_KEY} a key's events are delivered in seq order: a re-drive
 * waits while an earlier event of its key is parked and not asked for, and a re-drive that fails
 * stops its key's re-drive there, withdrawing the requests of its later events, which stay parked.
 * Not thread-safe: the consumer's thread only.
 */
final class Redriver {

    private static final Logger LOG = LoggerFactory.getLogger(Redriver.class);

    /** What one pass came to. */
    sealed interface Result permits Progress, Idle, Downstream {}

    /**
     * Something was delivered ({@code delivered}) or parked again; {@code more}: requests are left
     * for another pass.
     */
    record Progress(boolean delivered, boolean more) implements Result {}

    /** Nothing to do now (no request, or only requests that wait for an earlier event of their key). */
    record Idle() implements Result {}

    /** The handler's downstream is unavailable: the pass stopped, its requests are kept. */
    record Downstream(Throwable cause) implements Result {}

    private final OutboxConsumer consumer;
    private final Delivery delivery;
    private final DeadLetterStore deadLetters;
    private final Clock clock;
    private final Function<Throwable, FailureTracker.Kind> kindOf;
    private final Set<Long> reportedWaiting = new HashSet<>();

    Redriver(
            OutboxConsumer consumer,
            Delivery delivery,
            DeadLetterStore deadLetters,
            Clock clock,
            Function<Throwable, FailureTracker.Kind> kindOf) {
        this.consumer = consumer;
        this.delivery = delivery;
        this.deadLetters = deadLetters;
        this.clock = clock;
        this.kindOf = kindOf;
    }

    /** One pass over the requests, at most a batch of them. */
    Result run() throws SQLException {
        List<DeadLetter> requests = deadLetters.redriveRequests(consumer.name(), consumer.batchSize());
        if (requests.isEmpty()) {
            reportedWaiting.clear();
            return new Idle();
        }
        boolean byKey = consumer.failurePolicy() == FailurePolicy.PARK_KEY;
        Map<String, Long> firstParked = byKey ? deadLetters.firstParkedSeqOfKeys(consumer.name()) : Map.of();
        Set<String> stoppedKeys = new HashSet<>();
        boolean progressed = false;
        boolean delivered = false;
        for (DeadLetter deadLetter : requests) {
            long seq = deadLetter.record().seq();
            String key = deadLetter.record().aggregateId();
            if (byKey) {
                if (stoppedKeys.contains(key)) {
                    continue;
                }
                Long earlier = firstParked.get(key);
                if (earlier != null && earlier < seq) {
                    if (reportedWaiting.add(seq)) {
                        LOG.info(
                                "consumer '{}': the re-drive of seq {} waits: seq {} of its key '{}' is parked"
                                        + " before it; re-drive or discard that one first",
                                consumer.name(),
                                seq,
                                earlier,
                                key);
                    }
                    stoppedKeys.add(key);
                    continue;
                }
            }
            Delivery.Redelivery outcome = delivery.redeliver(deadLetter);
            if (outcome instanceof Delivery.Redelivered) {
                LOG.info("consumer '{}': re-drove parked seq {}", consumer.name(), seq);
                progressed = true;
                delivered = true;
            } else if (outcome instanceof Delivery.RedeliveryFailed failed) {
                if (kindOf.apply(failed.cause()) != FailureTracker.Kind.HANDLER) {
                    deadLetters.releaseRedrive(consumer.name(), seq);
                    return new Downstream(failed.cause());
                }
                LOG.warn(
                        "consumer '{}': re-drive of seq {} failed; it stays parked{}",
                        consumer.name(),
                        seq,
                        byKey ? ", and so do the later events of its key '" + key + "'" : "",
                        failed.cause());
                deadLetters.redriveFailed(deadLetter, failed.cause(), clock.instant(), byKey);
                stoppedKeys.add(key);
                progressed = true;
            }
            // NotClaimed: discarded or withdrawn meanwhile; nothing to do
        }
        return progressed ? new Progress(delivered, requests.size() == consumer.batchSize()) : new Idle();
    }
}
