package dev.outbox.internal;

import java.time.Duration;

/**
 * A wait that doubles from a floor to a ceiling each time {@link #next()} is called, and goes back
 * to the floor on {@link #reset()}. Used for adaptive polling (an idle queue is polled ever less
 * often) and for retries after failures. Not thread-safe: one per loop.
 */
final class Backoff {
    private final long floorNanos;
    private final long ceilingNanos;
    private long currentNanos;

    Backoff(Duration floor, Duration ceiling) {
        this.floorNanos = floor.toNanos();
        this.ceilingNanos = Math.max(ceiling.toNanos(), floorNanos);
        this.currentNanos = floorNanos;
    }

    /** The wait to use now; the following call returns twice as much, up to the ceiling. */
    Duration next() {
        long wait = currentNanos;
        currentNanos = Math.min(ceilingNanos, Math.max(1_000_000, currentNanos * 2));
        return Duration.ofNanos(wait);
    }

    void reset() {
        currentNanos = floorNanos;
    }
}
