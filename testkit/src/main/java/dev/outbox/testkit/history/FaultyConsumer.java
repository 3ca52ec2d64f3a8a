package dev.outbox.testkit.history;

import dev.outbox.FailurePolicy;
import dev.outbox.RetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A consumer of a history run whose handler fails as {@link HandlerFaults} plans: one per failure
 * policy and delivery kind. Immutable.
 *
 * @param name the consumer's name
 * @param transactional whether its handler writes in the relay's transaction ({@code
 *     hist_effect} rows) or is at-least-once (its effects are the records of its calls)
 * @param policy what it does with an event that exhausted its attempts
 */
public record FaultyConsumer(String name, boolean transactional, FailurePolicy policy) {

    /** Attempts before the failure policy: a transient fault of 3 or 4 failures exhausts them. */
    public static final RetryPolicy RETRY = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(50), 0.2, 3);

    /** One consumer per failure policy, at-least-once and transactional. */
    public static final List<FaultyConsumer> ALL = List.of(
            new FaultyConsumer("faulty-block", false, FailurePolicy.BLOCK),
            new FaultyConsumer("faulty-park", false, FailurePolicy.PARK),
            new FaultyConsumer("faulty-park-key", false, FailurePolicy.PARK_KEY),
            new FaultyConsumer("faulty-block-tx", true, FailurePolicy.BLOCK),
            new FaultyConsumer("faulty-park-tx", true, FailurePolicy.PARK),
            new FaultyConsumer("faulty-park-key-tx", true, FailurePolicy.PARK_KEY));

    public FaultyConsumer {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(policy, "policy");
    }

    /** Whether it has dead letters (it parks). */
    public boolean parks() {
        return policy != FailurePolicy.BLOCK;
    }
}
