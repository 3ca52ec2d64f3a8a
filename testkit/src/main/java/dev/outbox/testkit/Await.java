package dev.outbox.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * Waits, by polling, until a condition holds: {@code await().atMost(TIMEOUT).until(() -> relay
 * .ownsConsumer("search"))}. The waits of the conformance suites, without a dependency for them.
 *
 * <p>An exception thrown by the condition fails the wait at once, unless its type was passed to
 * {@link #ignoring(Class)}. Not thread-safe: build and run a wait on one thread.
 */
public final class Await {

    private static final Duration DEFAULT_AT_MOST = Duration.ofSeconds(10);
    private static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(20);

    private final String description;
    private Duration atMost = DEFAULT_AT_MOST;
    private Duration during = Duration.ZERO;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private final List<Class<? extends Exception>> ignored = new ArrayList<>();

    private Await(String description) {
        this.description = description;
    }

    /** A wait of at most 10 seconds, polling every 20 ms. */
    public static Await await() {
        return new Await("condition");
    }

    /** Like {@link #await()}; {@code description} names what is awaited in the timeout message. */
    public static Await await(String description) {
        return new Await(Objects.requireNonNull(description, "description"));
    }

    /** How long to wait in all before failing. */
    public Await atMost(Duration timeout) {
        this.atMost = positive(timeout, "atMost");
        return this;
    }

    /**
     * How long the condition must keep holding, without a break, before the wait succeeds (within
     * {@link #atMost(Duration)}): for what must stay true, not only become true.
     */
    public Await during(Duration duration) {
        this.during = Objects.requireNonNull(duration, "during");
        return this;
    }

    /** How often the condition is evaluated. */
    public Await pollInterval(Duration interval) {
        this.pollInterval = positive(interval, "pollInterval");
        return this;
    }

    /** Counts an exception of {@code type} thrown by the condition as "not yet". */
    public Await ignoring(Class<? extends Exception> type) {
        ignored.add(Objects.requireNonNull(type, "type"));
        return this;
    }

    /**
     * Returns once {@code condition} returned {@code true} (for the whole of {@link
     * #during(Duration)} when set).
     *
     * @throws AssertionError if it did not within {@link #atMost(Duration)}
     */
    public void until(Callable<Boolean> condition) {
        long start = System.nanoTime();
        long deadline = start + atMost.toNanos();
        long holdingSince = -1;
        Exception lastIgnored = null;
        while (true) {
            long now = System.nanoTime();
            boolean holds;
            try {
                holds = Boolean.TRUE.equals(condition.call());
            } catch (Exception e) {
                if (ignored.stream().noneMatch(type -> type.isInstance(e))) {
                    throw new AssertionError(description + " threw " + e, e);
                }
                lastIgnored = e;
                holds = false;
            }
            if (!holds) {
                holdingSince = -1;
            } else if (holdingSince < 0) {
                holdingSince = now;
            }
            if (holdingSince >= 0 && now - holdingSince >= during.toNanos()) {
                return;
            }
            if (now - deadline >= 0) {
                String holding = during.isZero() ? "" : " for " + during.toMillis() + " ms in a row";
                AssertionError timeout = new AssertionError(
                        description + " did not hold" + holding + " within " + atMost.toMillis() + " ms");
                if (lastIgnored != null) {
                    timeout.addSuppressed(lastIgnored);
                }
                throw timeout;
            }
            try {
                Thread.sleep(pollInterval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + description, e);
            }
        }
    }

    private static Duration positive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + duration);
        }
        return duration;
    }
}
