package dev.outbox;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How a consumer retries an event its handler failed on: capped exponential back-off with jitter,
 * up to a number of attempts; then the consumer's {@link FailurePolicy} decides.
 *
 * <p>The wait before attempt {@code n + 1} (after {@code n} failed attempts) is {@code
 * min(maxBackoff, initialBackoff * 2^(n-1))}, shortened by a random fraction of at most {@code
 * jitter} so that many consumers failing together do not retry in lockstep. Immutable and
 * thread-safe.
 *
 * @param initialBackoff wait after the first failure
 * @param maxBackoff cap of the wait; a {@link FailurePolicy#BLOCK}ed consumer retries at this interval
 * @param jitter fraction of each wait that is random, in [0, 1]; 0 makes the schedule exact
 * @param maxAttempts attempts before the failure policy applies, counting the first delivery
 */
public record RetryPolicy(Duration initialBackoff, Duration maxBackoff, double jitter, int maxAttempts) {

    /** 100 ms doubling to 30 s, 20 % jitter, 10 attempts (about 50 s of retrying). */
    public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(30), 0.2, 10);

    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (initialBackoff.compareTo(Duration.ofMillis(1)) < 0
                || initialBackoff.compareTo(maxBackoff) > 0
                || maxBackoff.compareTo(Duration.ofHours(1)) > 0) {
            throw new OutboxConfigurationException("retry: backoff must satisfy 1 ms <= initialBackoff <="
                    + " maxBackoff <= 1 h, was initialBackoff " + initialBackoff + ", maxBackoff " + maxBackoff);
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new OutboxConfigurationException("retry: jitter must be in [0, 1], was " + jitter);
        }
        if (maxAttempts < 1 || maxAttempts > 1_000_000) {
            throw new OutboxConfigurationException("retry: maxAttempts must be in [1, 1000000], was " + maxAttempts);
        }
    }

    /** Exponential back-off from {@code initial} to {@code max}, 20 % jitter, {@code maxAttempts}. */
    public static RetryPolicy of(Duration initial, Duration max, int maxAttempts) {
        return new RetryPolicy(initial, max, 0.2, maxAttempts);
    }

    /** This policy with another jitter. */
    public RetryPolicy withJitter(double newJitter) {
        return new RetryPolicy(initialBackoff, maxBackoff, newJitter, maxAttempts);
    }

    /**
     * The wait after {@code failedAttempts} failed attempts ({@code >= 1}), before jitter: the
     * capped exponential schedule.
     */
    public Duration backoff(int failedAttempts) {
        if (failedAttempts < 1) {
            throw new IllegalArgumentException("failedAttempts must be >= 1, was " + failedAttempts);
        }
        long initial = initialBackoff.toNanos();
        long cap = maxBackoff.toNanos();
        int doublings = Math.min(failedAttempts - 1, 62);
        long wait = initial > (cap >> doublings) ? cap : initial << doublings;
        return Duration.ofNanos(Math.min(wait, cap));
    }

    /** {@link #backoff(int)} shortened by a random fraction of at most {@code jitter}. */
    public Duration backoff(int failedAttempts, RandomGenerator random) {
        Duration wait = backoff(failedAttempts);
        if (jitter == 0) {
            return wait;
        }
        double factor = 1 - jitter * random.nextDouble();
        return Duration.ofNanos((long) (wait.toNanos() * factor));
    }
}
