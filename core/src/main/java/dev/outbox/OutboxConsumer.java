package dev.outbox;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A named consumer of the log: its handler and settings. Register it with {@link
 * OutboxRelay.Builder#consumer(OutboxConsumer)}. Each name has one checkpoint in the database, shared
 * by every relay that registers the name; one relay at a time runs it (a lease).
 *
 * <p>Immutable and thread-safe; build with {@link #atLeastOnce} or {@link #transactional}.
 */
public final class OutboxConsumer {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    private final String name;
    private final @Nullable EventHandler handler;
    private final @Nullable TransactionalEventHandler transactionalHandler;
    private final int batchSize;
    private final StartPosition startFrom;
    private final Duration retryMinBackoff;
    private final Duration retryMaxBackoff;

    private OutboxConsumer(Builder builder) {
        this.name = builder.name;
        this.handler = builder.handler;
        this.transactionalHandler = builder.transactionalHandler;
        this.batchSize = builder.batchSize;
        this.startFrom = builder.startFrom;
        this.retryMinBackoff = builder.retryMinBackoff;
        this.retryMaxBackoff = builder.retryMaxBackoff;
    }

    /**
     * A consumer that updates a system outside the database: at-least-once delivery, see {@link
     * EventHandler}.
     */
    public static Builder atLeastOnce(String name, EventHandler handler) {
        return new Builder(name, Objects.requireNonNull(handler, "handler"), null);
    }

    /**
     * A consumer that updates tables in the outbox's database in the relay's transaction:
     * exactly-once delivery, see {@link TransactionalEventHandler}.
     */
    public static Builder transactional(String name, TransactionalEventHandler handler) {
        return new Builder(name, null, Objects.requireNonNull(handler, "handler"));
    }

    public String name() {
        return name;
    }

    /** Whether the handler runs in the relay's transaction (exactly once). */
    public boolean isTransactional() {
        return transactionalHandler != null;
    }

    /** The at-least-once handler, or {@code null} for a transactional consumer. */
    public @Nullable EventHandler handler() {
        return handler;
    }

    /** The transactional handler, or {@code null} for an at-least-once consumer. */
    public @Nullable TransactionalEventHandler transactionalHandler() {
        return transactionalHandler;
    }

    public int batchSize() {
        return batchSize;
    }

    public StartPosition startFrom() {
        return startFrom;
    }

    public Duration retryMinBackoff() {
        return retryMinBackoff;
    }

    public Duration retryMaxBackoff() {
        return retryMaxBackoff;
    }

    @Override
    public String toString() {
        return "OutboxConsumer[" + name + (isTransactional() ? ", transactional" : ", at-least-once") + "]";
    }

    /** Builds an {@link OutboxConsumer}. Not thread-safe; {@link #build()} validates. */
    public static final class Builder {
        private final String name;
        private final @Nullable EventHandler handler;
        private final @Nullable TransactionalEventHandler transactionalHandler;
        private int batchSize = 100;
        private StartPosition startFrom = StartPosition.BEGINNING;
        private Duration retryMinBackoff = Duration.ofMillis(100);
        private Duration retryMaxBackoff = Duration.ofSeconds(30);

        private Builder(
                String name, @Nullable EventHandler handler, @Nullable TransactionalEventHandler transactional) {
            this.name = Objects.requireNonNull(name, "name");
            this.handler = handler;
            this.transactionalHandler = transactional;
        }

        /** Most events per handler call. Default 100; range 1 to 10,000. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Where a consumer without a checkpoint starts. Default {@link StartPosition#BEGINNING}. */
        public Builder startFrom(StartPosition startFrom) {
            this.startFrom = Objects.requireNonNull(startFrom, "startFrom");
            return this;
        }

        /**
         * Back-off after a handler failure: starts at {@code min}, doubles per failure, capped at
         * {@code max}. Defaults 100 ms and 30 s; {@code min} in [1 ms, max], {@code max} at most 1 h.
         */
        public Builder retryBackoff(Duration min, Duration max) {
            this.retryMinBackoff = Objects.requireNonNull(min, "min");
            this.retryMaxBackoff = Objects.requireNonNull(max, "max");
            return this;
        }

        public OutboxConsumer build() {
            if (!NAME.matcher(name).matches()) {
                throw new OutboxConfigurationException("consumer name must be 1 to 100 characters of"
                        + " [A-Za-z0-9._-], starting with a letter or digit, was '" + name + "'");
            }
            if (batchSize < 1 || batchSize > 10_000) {
                throw new OutboxConfigurationException(
                        "consumer '" + name + "': batchSize must be in [1, 10000], was " + batchSize);
            }
            if (retryMinBackoff.compareTo(Duration.ofMillis(1)) < 0
                    || retryMinBackoff.compareTo(retryMaxBackoff) > 0
                    || retryMaxBackoff.compareTo(Duration.ofHours(1)) > 0) {
                throw new OutboxConfigurationException("consumer '" + name + "': retryBackoff must satisfy"
                        + " 1 ms <= min <= max <= 1 h, was min " + retryMinBackoff + ", max " + retryMaxBackoff);
            }
            return new OutboxConsumer(this);
        }
    }
}
