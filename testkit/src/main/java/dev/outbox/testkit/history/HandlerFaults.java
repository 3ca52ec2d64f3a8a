package dev.outbox.testkit.history;

import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The handler faults of a history run, decided per (consumer, event) from a seed, so that a relay
 * in another JVM given the same seed fails on the same events:
 *
 * <ul>
 *   <li>{@link Kind#TRANSIENT}: the handler fails on the event its first {@code failures} times (in
 *       one relay), then succeeds;
 *   <li>{@link Kind#ERROR}: the same with an {@link Error} ({@link AssertionError}, {@link
 *       StackOverflowError}, {@link NoClassDefFoundError});
 *   <li>{@link Kind#POISON}: it fails on every attempt until {@code healAfter} past the event's
 *       creation (a fix deployed), or until the run {@link #heal()}s it at its end;
 *   <li>{@link Kind#SLOW}: its first delivery (in one relay) takes longer than the lease.
 * </ul>
 *
 * <p>Besides, each consumer's downstream is unavailable for {@link #DOWNSTREAM_OUTAGE} every {@link
 * #DOWNSTREAM_PERIOD} (by the wall clock, the same in every JVM): the handler then throws {@link
 * dev.outbox.DownstreamUnavailableException}. A failure at an event after the first of a batch is
 * reported with {@link dev.outbox.PartialSuccessException} when the event's {@code partial} bit is
 * set. Immutable and thread-safe, apart from {@link #heal()}.
 */
public final class HandlerFaults {

    /** How long each downstream outage lasts. */
    public static final Duration DOWNSTREAM_OUTAGE = Duration.ofMillis(800);

    /** How often each consumer's downstream goes away. */
    public static final Duration DOWNSTREAM_PERIOD = Duration.ofSeconds(7);

    /** What the handler does with one event. */
    public enum Kind {
        NONE,
        TRANSIENT,
        ERROR,
        POISON,
        SLOW
    }

    /**
     * The plan for one (consumer, event).
     *
     * @param kind what goes wrong
     * @param failures how many times a {@link Kind#TRANSIENT} or {@link Kind#ERROR} event fails
     * @param partial whether a failure at this event is reported as partial success of the batch
     * @param healAfter how long after the event's creation a {@link Kind#POISON} event heals
     * @param error which error an {@link Kind#ERROR} event throws: 0, 1 or 2
     */
    public record Plan(Kind kind, int failures, boolean partial, Duration healAfter, int error) {

        static final Plan NONE = new Plan(Kind.NONE, 0, false, Duration.ZERO, 0);

        /** Whether the relay may park or block the event (its failures can exhaust the attempts). */
        public boolean mayExhaust(int maxAttempts) {
            return kind == Kind.POISON || ((kind == Kind.TRANSIENT || kind == Kind.ERROR) && failures >= maxAttempts);
        }
    }

    // Rates per 100,000 events, per consumer.
    private static final int TRANSIENT_RATE = 400;
    private static final int ERROR_RATE = 150;
    private static final int POISON_RATE = 30;
    private static final int SLOW_RATE = 5;

    private final long seed;
    private final boolean enabled;
    private final Duration slowness;
    private volatile boolean healed;

    private HandlerFaults(long seed, boolean enabled, Duration slowness) {
        this.seed = seed;
        this.enabled = enabled;
        this.slowness = Objects.requireNonNull(slowness, "slowness");
    }

    /** Faults from {@code seed}; a slow delivery takes {@code slowness}. */
    public static HandlerFaults seeded(long seed, Duration slowness) {
        return new HandlerFaults(seed, true, slowness);
    }

    /** No fault at all: the handlers just record. */
    public static HandlerFaults none() {
        return new HandlerFaults(0, false, Duration.ZERO);
    }

    public long seed() {
        return seed;
    }

    public boolean enabled() {
        return enabled;
    }

    /** How long a slow delivery takes. */
    public Duration slowness() {
        return slowness;
    }

    /** The plan for {@code eventId} at {@code consumer}. */
    public Plan plan(String consumer, UUID eventId) {
        if (!enabled) {
            return Plan.NONE;
        }
        SplittableRandom random = new SplittableRandom(seed
                ^ eventId.getMostSignificantBits()
                ^ Long.rotateLeft(eventId.getLeastSignificantBits(), 17)
                ^ ((long) consumer.hashCode() << 32));
        int draw = random.nextInt(100_000);
        boolean partial = random.nextBoolean();
        int failures = 1 + random.nextInt(4);
        int error = random.nextInt(3);
        Duration heal = Duration.ofMillis(500 + random.nextInt(1500));
        if (draw < TRANSIENT_RATE) {
            return new Plan(Kind.TRANSIENT, failures, partial, Duration.ZERO, 0);
        }
        draw -= TRANSIENT_RATE;
        if (draw < ERROR_RATE) {
            return new Plan(Kind.ERROR, failures, partial, Duration.ZERO, error);
        }
        draw -= ERROR_RATE;
        if (draw < POISON_RATE) {
            return new Plan(Kind.POISON, 0, partial, heal, 0);
        }
        draw -= POISON_RATE;
        if (draw < SLOW_RATE) {
            return new Plan(Kind.SLOW, 0, partial, Duration.ZERO, 0);
        }
        return Plan.NONE;
    }

    /**
     * Whether {@code consumer}'s downstream is unavailable at {@code micros} ({@link HistoryClock}).
     * The outages of the consumers start at different offsets of the period.
     */
    public boolean downstreamDown(String consumer, long micros) {
        return !healed && outageAt(consumer, micros);
    }

    /** Whether {@code micros} falls in one of {@code consumer}'s planned outages, healed or not. */
    public boolean outageAt(String consumer, long micros) {
        if (!enabled) {
            return false;
        }
        long period = DOWNSTREAM_PERIOD.toNanos() / 1000;
        long offset = Math.floorMod((long) consumer.hashCode() * 7919, period);
        return Math.floorMod(micros - offset, period) < DOWNSTREAM_OUTAGE.toNanos() / 1000;
    }

    /** Whether a poison event created at {@code createdMicros} still fails at {@code micros}. */
    public boolean poisoned(Plan plan, long createdMicros, long micros) {
        return !healed && micros < createdMicros + plan.healAfter().toNanos() / 1000;
    }

    /** Ends every poison event and downstream outage in this JVM: the fixes are deployed. */
    public void heal() {
        healed = true;
    }

    /** Whether {@link #heal()} was called. */
    public boolean healed() {
        return healed;
    }
}
