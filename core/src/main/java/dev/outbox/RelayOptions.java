package dev.outbox;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Settings of an {@link OutboxRelay}. Immutable and thread-safe; build with {@link #builder()}. The
 * canonical constructor validates every value, so options built any way are in range.
 *
 * @param relayId name of this relay in lease columns and logs; default host/pid/random
 * @param sequencerBatchSize events moved from the queue to the log per sequencer transaction
 * @param pollFloor shortest wait between polls that found events
 * @param pollCeiling longest wait between polls of an idle queue; the delay before events appended
 *     by another process are seen when no wake-up reaches this relay
 * @param leaseDuration how long the sequencer lock and consumer leases last without renewal: the
 *     bound on how long a dead relay's work waits before another relay takes it over
 * @param shutdownTimeout how long {@link OutboxRelay#close()} waits for in-flight batches
 * @param listenForNotifications whether to listen for server-side notifications (PostgreSQL
 *     LISTEN/NOTIFY)
 * @param logRetention how long log entries are kept after every consumer passed them; {@code null}
 *     keeps the log for ever (event-store mode)
 * @param retentionInterval how often the sequencing relay deletes expired log entries
 * @param clock the time source of retry schedules and failure times (tests inject their own)
 */
public record RelayOptions(
        String relayId,
        int sequencerBatchSize,
        Duration pollFloor,
        Duration pollCeiling,
        Duration leaseDuration,
        Duration shutdownTimeout,
        boolean listenForNotifications,
        @Nullable Duration logRetention,
        Duration retentionInterval,
        Clock clock) {

    /**
     * Validates every value, whichever way the options were built.
     *
     * @throws OutboxConfigurationException naming the property, its valid range and the value
     */
    public RelayOptions {
        if (relayId == null || relayId.isBlank() || relayId.length() > 200) {
            throw new OutboxConfigurationException(
                    "relay: relayId must be 1 to 200 characters and not blank, was '" + relayId + "'");
        }
        if (sequencerBatchSize < 1 || sequencerBatchSize > 100_000) {
            throw new OutboxConfigurationException(
                    "relay: sequencerBatchSize must be in [1, 100000], was " + sequencerBatchSize);
        }
        requireRange("pollCeiling", pollCeiling, Duration.ofMillis(1), Duration.ofHours(1));
        requireRange("pollFloor", pollFloor, Duration.ZERO, pollCeiling);
        requireRange("leaseDuration", leaseDuration, Duration.ofMillis(300), Duration.ofHours(1));
        requireRange("shutdownTimeout", shutdownTimeout, Duration.ZERO, Duration.ofHours(1));
        requireRange("retentionInterval", retentionInterval, Duration.ofMillis(10), Duration.ofHours(1));
        if (logRetention != null) {
            requireRange("logRetention", logRetention, Duration.ofMillis(1), Duration.ofDays(365_000));
        }
        Objects.requireNonNull(clock, "clock");
    }

    private static void requireRange(String property, @Nullable Duration value, Duration min, Duration max) {
        if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new OutboxConfigurationException(
                    "relay: " + property + " must be in [" + min + ", " + max + "], was " + value);
        }
    }

    public static RelayOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to change some of them. */
    public Builder toBuilder() {
        return new Builder()
                .relayId(relayId)
                .sequencerBatchSize(sequencerBatchSize)
                .pollFloor(pollFloor)
                .pollCeiling(pollCeiling)
                .leaseDuration(leaseDuration)
                .shutdownTimeout(shutdownTimeout)
                .listenForNotifications(listenForNotifications)
                .logRetention(logRetention)
                .retentionInterval(retentionInterval)
                .clock(clock);
    }

    /** Builds {@link RelayOptions}. Not thread-safe. */
    public static final class Builder {
        private String relayId = defaultRelayId();
        private int sequencerBatchSize = 5000;
        private Duration pollFloor = Duration.ofMillis(10);
        private Duration pollCeiling = Duration.ofSeconds(2);
        private Duration leaseDuration = Duration.ofSeconds(30);
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private boolean listenForNotifications;
        private @Nullable Duration logRetention = Duration.ofDays(7);
        private Duration retentionInterval = Duration.ofMinutes(1);
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /**
         * Name of this relay in lease columns, status and logs, 1 to 200 characters. Default {@code
         * host/pid/random}, unique per relay. Two relays must never run with the same id against the
         * same tables: a relay never takes over a live lease held under its own id by another relay
         * instance, so a relay restarted with a fixed id after a crash takes its work back when its
         * old leases expire (within {@code leaseDuration}); a second live relay with the same id is
         * reported in {@link OutboxRelay#problems()} and the log, and stays on standby.
         */
        public Builder relayId(String relayId) {
            this.relayId = relayId;
            return this;
        }

        /**
         * Most events per sequencer transaction. Default 5000; range 1 to 100,000. Under light load a
         * batch takes what is queued; a backlog drains faster with larger batches.
         */
        public Builder sequencerBatchSize(int sequencerBatchSize) {
            this.sequencerBatchSize = sequencerBatchSize;
            return this;
        }

        /** Shortest wait between polls. Default 10 ms; range 0 to {@code pollCeiling}. */
        public Builder pollFloor(Duration pollFloor) {
            this.pollFloor = pollFloor;
            return this;
        }

        /**
         * Longest wait between polls of an idle queue. Default 2 s; range 1 ms to 1 h. Each wait
         * doubles from {@code pollFloor} while polls find nothing. The default keeps an idle relay
         * with one consumer under one query per second, lease renewals included; events appended
         * where no wake-up reaches the relay wait at most this long.
         */
        public Builder pollCeiling(Duration pollCeiling) {
            this.pollCeiling = pollCeiling;
            return this;
        }

        /**
         * Lease of the sequencer lock and of each consumer, renewed every third of it. Default 30 s;
         * range 300 ms to 1 h. A relay that dies is replaced within about this long.
         */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = leaseDuration;
            return this;
        }

        /** How long {@code close()} waits for in-flight batches. Default 30 s; range 0 to 1 h. */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
            return this;
        }

        /**
         * Listen for server-side notifications (PostgreSQL LISTEN/NOTIFY) on one extra connection.
         * Default {@code false}. Writers send them only with {@code
         * OutboxWriter.Builder.notifyRelays(true)}; with it on, the sequencer also notifies after
         * each batch, and NOTIFY serializes commits: see that method for the cost.
         */
        public Builder listenForNotifications(boolean listen) {
            this.listenForNotifications = listen;
            return this;
        }

        /**
         * How long log entries are kept once every consumer passed them (their checkpoints are past
         * them). Default 7 days; at least 1 ms. {@code null}: keep everything, see {@link
         * #keepLogForever()}. A consumer that lags holds retention back; so does the checkpoint row
         * of a consumer no relay runs any more.
         */
        public Builder logRetention(@Nullable Duration logRetention) {
            this.logRetention = logRetention;
            return this;
        }

        /** Event-store mode: never delete log entries, so any consumer can replay from seq 1. */
        public Builder keepLogForever() {
            return logRetention(null);
        }

        /**
         * How often the sequencing relay deletes expired log entries, in bounded batches. Default 1
         * minute; range 10 ms to 1 h.
         */
        public Builder retentionInterval(Duration retentionInterval) {
            this.retentionInterval = retentionInterval;
            return this;
        }

        /** Time source of retry schedules and failure times. Default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The options.
         *
         * @throws OutboxConfigurationException if a value is out of its range
         */
        public RelayOptions build() {
            return new RelayOptions(
                    relayId,
                    sequencerBatchSize,
                    pollFloor,
                    pollCeiling,
                    leaseDuration,
                    shutdownTimeout,
                    listenForNotifications,
                    logRetention,
                    retentionInterval,
                    clock);
        }

        private static String defaultRelayId() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "unknown-host";
            }
            long pid = ProcessHandle.current().pid();
            return host + "/" + pid + "/"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
        }
    }
}
