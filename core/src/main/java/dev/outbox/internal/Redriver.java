package dev.outbox.internal;

import dev.outbox.DeadLetter;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.RetryPolicy;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the re-drives asked for one consumer, on its own thread, a pass at a time between
 * its reads of the log: the dead letters waiting for re-drive are delivered in seq order, as one
 * batch of up to the consumer's batch size, and removed once delivered. A pass renews the lease
 * when it is due, for a pass of many deliveries may take longer than the lease. When a batch fails
 * without saying where, its letters are delivered one at a time; one that fails is tried again by
 * the consumer's retry policy and, once its attempts are used up, parked again with its attempt
 * count raised by them.
 *
 * <p>Under {@link FailurePolicy#PARK_KEY} a key's events are delivered in seq order: a re-drive
 * waits while an earlier event of its key is parked and not asked for, so a re-drive that fails
 * stops its key's re-drive there: the requests of its later events wait until it is delivered or
 * discarded. Once a pass delivered a key's letters, the events parked behind it meanwhile (events no
 * handler failed on, which came while the key was parked) are re-driven too, the key's tail read by
 * the key's index, so that the key flows again. Not thread-safe: the consumer's thread only.
 */
final class Redriver {

    private static final Logger LOG = LoggerFactory.getLogger(Redriver.class);

    /** What one pass came to. */
    sealed interface Result permits Progress, Idle, Downstream {}

    /**
     * Something was delivered (the letters of {@code deliveredKeys}), parked again, or a window of
     * requests that all wait was passed by; {@code more}: requests are left for another pass.
     */
    record Progress(Set<String> deliveredKeys, boolean more) implements Result {

        boolean delivered() {
            return !deliveredKeys.isEmpty();
        }
    }

    /** Nothing to do now (no request, or only requests that wait for an earlier event of their key). */
    record Idle() implements Result {}

    /** The handler's downstream is unavailable: the pass stopped, its requests are kept. */
    record Downstream(Throwable cause) implements Result {}

    private final OutboxConsumer consumer;
    private final Delivery delivery;
    private final ConsumerLease lease;
    private final DeadLetterStore deadLetters;
    private final Clock clock;
    private final Function<Throwable, FailureTracker.Kind> kindOf;
    private final Answered answered;

    /** Told at once when the handler answered a re-drive (delivered, or failed on an event). */
    interface Answered {
        void answered() throws SQLException;
    }

    private final RandomGenerator random = new SplittableRandom();
    private final boolean byKey;

    /** Batches of one key's tail per pass, so that the log's new entries are read in between. */
    static final int TAIL_BATCHES_PER_PASS = 20;
    /**
     * Where the next pass's window starts: after the last request of a full window, back at the
     * start once a window came back short (a round ends). A request that waits for an earlier
     * event of its key is read once a round, not by every pass.
     */
    private long cursor;
    /** Whether a pass of this round delivered or parked again: what may let waiting requests go. */
    private boolean roundChanged;

    Redriver(
            OutboxConsumer consumer,
            Delivery delivery,
            ConsumerLease lease,
            DeadLetterStore deadLetters,
            Clock clock,
            Function<Throwable, FailureTracker.Kind> kindOf,
            Answered answered) {
        this.consumer = consumer;
        this.answered = answered;
        this.delivery = delivery;
        this.lease = lease;
        this.deadLetters = deadLetters;
        this.clock = clock;
        this.kindOf = kindOf;
        this.byKey = consumer.failurePolicy() == FailurePolicy.PARK_KEY;
    }

    /**
     * {@link Delivery#redeliver}, then {@link Answered#answered} when the handler answered: the
     * status stops saying the consumer waits for its downstream while the pass goes on.
     */
    private Delivery.Redelivery redeliver(List<DeadLetter> letters) throws SQLException {
        Delivery.Redelivery outcome = delivery.redeliver(letters);
        if (!outcome.delivered().isEmpty()
                || (outcome.cause() != null && kindOf.apply(outcome.cause()) == FailureTracker.Kind.HANDLER)) {
            answered.answered();
        }
        return outcome;
    }

    /**
     * One pass: a window of requests after the cursor, those that need not wait delivered; then,
     * under {@link FailurePolicy#PARK_KEY}, the tail of each key it delivered, by the key's index.
     */
    Result run() throws SQLException {
        long after = cursor;
        if (after == 0) {
            roundChanged = false;
        }
        DeadLetterSql.RedriveWindow window =
                deadLetters.redriveWindow(lease.partition(), after, consumer.batchSize(), byKey);
        boolean fullWindow = window.full();
        List<DeadLetter> eligible = window.eligible();
        if (eligible.isEmpty()) {
            cursor = fullWindow ? window.lastSeq() : 0;
            return fullWindow || anotherRound(fullWindow, after) ? new Progress(Set.of(), true) : new Idle();
        }
        // After a failure, or the downstream gone, the same window again (less what was delivered).
        cursor = after;
        Pass pass = new Pass();
        Outcome batch = deliver(eligible, pass);
        if (batch.downstream() != null) {
            return new Downstream(batch.downstream());
        }
        // A failed batch leaves the letters after the failing one asked for: another pass.
        boolean more = fullWindow || batch.failed() || anotherRound(fullWindow, after);
        if (!batch.failed()) {
            cursor = fullWindow ? window.lastSeq() : 0;
        }
        if (byKey) {
            for (Map.Entry<String, Long> key : List.copyOf(pass.lastDeliveredByKey.entrySet())) {
                if (pass.stoppedKeys.contains(key.getKey())) {
                    continue;
                }
                Tail tail = drainKey(key.getKey(), key.getValue(), pass);
                if (tail.downstream() != null) {
                    return new Downstream(tail.downstream());
                }
                more |= tail.more();
            }
        }
        roundChanged |= pass.progressed;
        if (pass.deliveredCount > 0) {
            LOG.info("{}: re-drove {} parked event(s)", lease.partition(), pass.deliveredCount);
        }
        return pass.progressed || more ? new Progress(Set.copyOf(pass.lastDeliveredByKey.keySet()), more) : new Idle();
    }

    /** How the delivery of some letters ended: a failure of the handler, or its downstream gone. */
    private record Outcome(boolean failed, @Nullable Throwable downstream) {}

    /** How a key's tail ended: its downstream gone, or with requests left for another pass. */
    private record Tail(boolean more, @Nullable Throwable downstream) {}

    /**
     * Delivers {@code letters} as one batch; when it fails without saying where, or at a letter
     * whose predecessors were rolled back with it, one at a time, to find the failing ones (under
     * PARK_KEY the rest of a failing key waits).
     */
    private Outcome deliver(List<DeadLetter> letters, Pass pass) throws SQLException {
        // A pass may deliver many times (one at a time below): longer than a lease, all told.
        lease.renewIfDue();
        Delivery.Redelivery batch = redeliver(letters);
        pass.delivered(batch.delivered());
        if (batch.cause() == null) {
            return new Outcome(false, null);
        }
        if (kindOf.apply(batch.cause()) != FailureTracker.Kind.HANDLER) {
            return new Outcome(true, batch.cause());
        }
        if (batch.failed() != null && batch.delivered().size() == letters.indexOf(batch.failed())) {
            return new Outcome(true, retryOrPark(batch.failed(), batch.cause(), pass));
        }
        // Not located, or located but its predecessors rolled back with it (a transactional batch):
        // one at a time, so that the failing letter is retried only after the letters before it.
        for (DeadLetter letter : letters) {
            if (pass.stopped(letter)) {
                continue;
            }
            lease.renewIfDue();
            Delivery.Redelivery single = redeliver(List.of(letter));
            pass.delivered(single.delivered());
            if (single.cause() != null) {
                if (kindOf.apply(single.cause()) != FailureTracker.Kind.HANDLER) {
                    return new Outcome(true, single.cause());
                }
                Throwable downstream = retryOrPark(letter, single.cause(), pass);
                if (downstream != null) {
                    return new Outcome(true, downstream);
                }
            }
        }
        return new Outcome(true, null);
    }

    /**
     * A letter whose re-drive the handler failed on: tried again by the consumer's retry policy,
     * as a delivery from the log is, and parked again once its attempts are used up. Returns what
     * stopped it when its downstream went away meanwhile (the letter stays asked for), or {@code
     * null}.
     */
    private @Nullable Throwable retryOrPark(DeadLetter letter, Throwable cause, Pass pass) throws SQLException {
        RetryPolicy retry = consumer.retryPolicy();
        Throwable last = cause;
        for (int failed = 1; failed < retry.maxAttempts(); failed++) {
            pause(retry.backoff(failed, random));
            lease.renewIfDue();
            Delivery.Redelivery again = redeliver(List.of(letter));
            pass.delivered(again.delivered());
            if (again.cause() == null) {
                return null; // delivered, or discarded meanwhile
            }
            if (kindOf.apply(again.cause()) != FailureTracker.Kind.HANDLER) {
                return again.cause();
            }
            last = again.cause();
        }
        pass.failed(letter, last, retry.maxAttempts());
        return null;
    }

    /** Waits out a back-off on the consumer's thread; a hard stop's interrupt ends the pass. */
    private static void pause(Duration wait) {
        try {
            TimeUnit.NANOSECONDS.sleep(wait.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to retry a re-drive", e);
        }
    }

    /**
     * Under PARK_KEY, once a pass delivered a key's letters up to {@code deliveredSeq}: asks for
     * the events parked behind the key after it (no handler failed on them), then delivers the
     * key's requests in seq order, a batch at a time by the key's index, up to its next letter
     * that is parked or until {@link #TAIL_BATCHES_PER_PASS}. A key's tail then costs its
     * deliveries, not a pass through every other key's requests per batch; the key flows from the
     * log again once it has no letter left.
     */
    private Tail drainKey(String key, long deliveredSeq, Pass pass) throws SQLException {
        deadLetters.requestBehindKey(consumer.name(), key, deliveredSeq);
        long after = deliveredSeq;
        for (int batches = 0; batches < TAIL_BATCHES_PER_PASS; batches++) {
            List<DeadLetter> tail = deadLetters.keyTail(consumer.name(), key, after, consumer.batchSize());
            if (tail.isEmpty()) {
                return new Tail(false, null);
            }
            int before = pass.deliveredCount;
            Outcome outcome = deliver(tail, pass);
            if (outcome.downstream() != null) {
                return new Tail(true, outcome.downstream());
            }
            if (outcome.failed()) {
                return new Tail(false, null); // the rest waits for the failed one
            }
            if (pass.deliveredCount == before) {
                return new Tail(true, null); // discarded meanwhile: the window looks again
            }
            after = pass.lastDeliveredByKey.get(key);
        }
        return new Tail(true, null);
    }

    /**
     * Whether a round that ends with this window (short, after the cursor) is followed by another:
     * when it changed something, for a delivered event may let the requests of its key that waited
     * go. A round from the start that ends in its first window leaves nothing behind it.
     */
    private boolean anotherRound(boolean fullWindow, long after) {
        return !fullWindow && after > 0 && roundChanged;
    }

    /** What one pass did so far. */
    private final class Pass {
        final Set<String> stoppedKeys = new HashSet<>();
        final Map<String, Long> lastDeliveredByKey = new LinkedHashMap<>();
        int deliveredCount;
        boolean progressed;

        void delivered(List<DeadLetter> letters) {
            for (DeadLetter letter : letters) {
                lastDeliveredByKey.merge(
                        letter.record().aggregateId(), letter.record().seq(), Math::max);
                deliveredCount++;
                progressed = true;
            }
        }

        /** Whether a letter must wait: an earlier one of its key failed in this pass (PARK_KEY). */
        boolean stopped(DeadLetter letter) {
            return byKey && stoppedKeys.contains(letter.record().aggregateId());
        }

        void failed(DeadLetter letter, Throwable cause, int attempts) throws SQLException {
            String key = letter.record().aggregateId();
            LOG.warn(
                    "consumer '{}': re-drive of seq {} failed {} time(s); it stays parked{}",
                    consumer.name(),
                    letter.record().seq(),
                    attempts,
                    byKey ? ", and the later events of its key '" + key + "' wait for it" : "",
                    cause);
            deadLetters.redriveFailed(letter, cause, attempts, clock.instant());
            stoppedKeys.add(key);
            progressed = true;
        }
    }
}
