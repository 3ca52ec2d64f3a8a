package dev.outbox.spring.autoconfigure;

import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxTables;
import dev.outbox.RelayHealth;
import dev.outbox.RelayOptions;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * The {@code outbox.*} properties. A property left unset keeps the library's default, which its
 * description names. Values are checked when the application starts: a bad one fails the start with
 * the property's name and its valid range.
 */
@ConfigurationProperties("outbox")
public class OutboxProperties implements Validator {

    /** Whether to configure the outbox at all. */
    private boolean enabled = true;

    /**
     * The database's dialect. Default: detected from the DataSource's database product (PostgreSQL,
     * MariaDB, MySQL).
     */
    private @Nullable DatabaseDialect dialect;

    private final Tables tables = new Tables();
    private final Writer writer = new Writer();
    private final Relay relay = new Relay();
    private final Migrations migrations = new Migrations();
    private final Health health = new Health();
    private final Metrics metrics = new Metrics();

    /** Settings of the consumers declared with @OutboxHandler, by consumer name. */
    private final Map<String, Consumer> consumers = new LinkedHashMap<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable DatabaseDialect getDialect() {
        return dialect;
    }

    public void setDialect(@Nullable DatabaseDialect dialect) {
        this.dialect = dialect;
    }

    public Tables getTables() {
        return tables;
    }

    public Writer getWriter() {
        return writer;
    }

    public Relay getRelay() {
        return relay;
    }

    public Migrations getMigrations() {
        return migrations;
    }

    public Health getHealth() {
        return health;
    }

    public Metrics getMetrics() {
        return metrics;
    }

    public Map<String, Consumer> getConsumers() {
        return consumers;
    }

    /** The databases outbox supports. */
    public enum DatabaseDialect {
        POSTGRESQL,
        MARIADB,
        MYSQL
    }

    /** The outbox tables' names. */
    public static class Tables {
        /** Schema of the tables (on MySQL/MariaDB a database). Default: the connection's current one. */
        private @Nullable String schema;

        /** Prefix of the table names, a lower-case identifier. Default outbox_. */
        private String prefix = OutboxTables.DEFAULT_PREFIX;

        public @Nullable String getSchema() {
            return schema;
        }

        public void setSchema(@Nullable String schema) {
            this.schema = schema;
        }

        public String getPrefix() {
            return prefix;
        }

        public void setPrefix(String prefix) {
            this.prefix = prefix;
        }

        OutboxTables toTables() {
            return OutboxTables.of(schema, prefix);
        }
    }

    /** The writer that appends events in the application's transactions. */
    public static class Writer {
        /** Largest payload accepted, in UTF-8 bytes (at most 1 GB). Default 1 MB. */
        private @Nullable DataSize maxPayloadSize;

        /**
         * Whether each append also sends a server-side notification (PostgreSQL NOTIFY), waking relays
         * in other processes at once; it serializes commits. Default false.
         */
        private boolean notifyRelays;

        public @Nullable DataSize getMaxPayloadSize() {
            return maxPayloadSize;
        }

        public void setMaxPayloadSize(@Nullable DataSize maxPayloadSize) {
            this.maxPayloadSize = maxPayloadSize;
        }

        public boolean isNotifyRelays() {
            return notifyRelays;
        }

        public void setNotifyRelays(boolean notifyRelays) {
            this.notifyRelays = notifyRelays;
        }
    }

    /** The relay: sequencer, consumers, retention. */
    public static class Relay {
        /** Whether this application runs a relay (false: it only appends; relays run elsewhere). */
        private boolean enabled = true;

        /** Name of this relay in leases, status and logs. Default host/pid/random, unique per relay. */
        private @Nullable String relayId;

        /** Most events per sequencer transaction (1 to 100,000). Default 5000. */
        private @Nullable Integer sequencerBatchSize;

        /** Shortest wait between polls. Default 10 ms. */
        private @Nullable Duration pollFloor;

        /** Longest wait between polls of an idle queue (1 ms to 1 h). Default 2 s. */
        private @Nullable Duration pollCeiling;

        /** Lease of the sequencer lock and of each consumer (300 ms to 1 h). Default 30 s. */
        private @Nullable Duration leaseDuration;

        /**
         * How long stopping waits for in-flight batches (0 to 1 h). Default 30 s; keep
         * spring.lifecycle.timeout-per-shutdown-phase at least as long.
         */
        private @Nullable Duration shutdownTimeout;

        /** Whether to listen for PostgreSQL notifications on one extra connection. Default false. */
        private boolean listenForNotifications;

        /** How long log entries are kept once every consumer passed them. Default 7 days. */
        private @Nullable Duration logRetention;

        /** Never delete log entries (event-store mode); log-retention is then ignored. */
        private boolean keepLogForever;

        /** How often expired log entries are deleted (10 ms to 1 h). Default 1 minute. */
        private @Nullable Duration retentionInterval;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable String getRelayId() {
            return relayId;
        }

        public void setRelayId(@Nullable String relayId) {
            this.relayId = relayId;
        }

        public @Nullable Integer getSequencerBatchSize() {
            return sequencerBatchSize;
        }

        public void setSequencerBatchSize(@Nullable Integer sequencerBatchSize) {
            this.sequencerBatchSize = sequencerBatchSize;
        }

        public @Nullable Duration getPollFloor() {
            return pollFloor;
        }

        public void setPollFloor(@Nullable Duration pollFloor) {
            this.pollFloor = pollFloor;
        }

        public @Nullable Duration getPollCeiling() {
            return pollCeiling;
        }

        public void setPollCeiling(@Nullable Duration pollCeiling) {
            this.pollCeiling = pollCeiling;
        }

        public @Nullable Duration getLeaseDuration() {
            return leaseDuration;
        }

        public void setLeaseDuration(@Nullable Duration leaseDuration) {
            this.leaseDuration = leaseDuration;
        }

        public @Nullable Duration getShutdownTimeout() {
            return shutdownTimeout;
        }

        public void setShutdownTimeout(@Nullable Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
        }

        public boolean isListenForNotifications() {
            return listenForNotifications;
        }

        public void setListenForNotifications(boolean listenForNotifications) {
            this.listenForNotifications = listenForNotifications;
        }

        public @Nullable Duration getLogRetention() {
            return logRetention;
        }

        public void setLogRetention(@Nullable Duration logRetention) {
            this.logRetention = logRetention;
        }

        public boolean isKeepLogForever() {
            return keepLogForever;
        }

        public void setKeepLogForever(boolean keepLogForever) {
            this.keepLogForever = keepLogForever;
        }

        public @Nullable Duration getRetentionInterval() {
            return retentionInterval;
        }

        public void setRetentionInterval(@Nullable Duration retentionInterval) {
            this.retentionInterval = retentionInterval;
        }

        RelayOptions toOptions() {
            RelayOptions.Builder options = RelayOptions.builder();
            set(relayId, options::relayId);
            set(sequencerBatchSize, options::sequencerBatchSize);
            set(pollFloor, options::pollFloor);
            set(pollCeiling, options::pollCeiling);
            set(leaseDuration, options::leaseDuration);
            set(shutdownTimeout, options::shutdownTimeout);
            set(retentionInterval, options::retentionInterval);
            set(logRetention, options::logRetention);
            if (keepLogForever) {
                options.keepLogForever();
            }
            return options.listenForNotifications(listenForNotifications).build();
        }
    }

    /** Settings of one consumer. */
    public static class Consumer {
        /** Most events per handler call and per checkpoint (1 to 10,000). Default 1000. */
        private @Nullable Integer batchSize;

        /** Where a consumer without a checkpoint starts. Default head (only what comes next). */
        private @Nullable StartPosition startFrom;

        /** Partitions by key, each delivered on its own (1 to 1024); fixed once created. Default 1. */
        private @Nullable Integer partitions;

        /** What happens to an event still failing after the retries. Default block. */
        private @Nullable FailurePolicy failurePolicy;

        /**
         * Read the next batch while the handler works on a full one (at-least-once consumers only).
         * Default false.
         */
        private @Nullable Boolean readAhead;

        private final Retry retry = new Retry();

        public @Nullable Integer getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(@Nullable Integer batchSize) {
            this.batchSize = batchSize;
        }

        public @Nullable StartPosition getStartFrom() {
            return startFrom;
        }

        public void setStartFrom(@Nullable StartPosition startFrom) {
            this.startFrom = startFrom;
        }

        public @Nullable Integer getPartitions() {
            return partitions;
        }

        public void setPartitions(@Nullable Integer partitions) {
            this.partitions = partitions;
        }

        public @Nullable FailurePolicy getFailurePolicy() {
            return failurePolicy;
        }

        public void setFailurePolicy(@Nullable FailurePolicy failurePolicy) {
            this.failurePolicy = failurePolicy;
        }

        public @Nullable Boolean getReadAhead() {
            return readAhead;
        }

        public void setReadAhead(@Nullable Boolean readAhead) {
            this.readAhead = readAhead;
        }

        public Retry getRetry() {
            return retry;
        }

        /** {@code consumer} with these settings; what is unset keeps the builder's default. */
        OutboxConsumer.Builder applyTo(OutboxConsumer.Builder consumer) {
            set(batchSize, consumer::batchSize);
            set(startFrom, consumer::startFrom);
            set(partitions, consumer::partitions);
            set(failurePolicy, consumer::failurePolicy);
            set(readAhead, consumer::readAhead);
            return consumer.retryPolicy(retry.toPolicy());
        }
    }

    /** How a failed event is retried before the failure policy applies. */
    public static class Retry {
        /** Wait after the first failure. Default 100 ms. */
        private @Nullable Duration initialBackoff;

        /** Cap of the doubling waits (at most 1 h). Default 30 s. */
        private @Nullable Duration maxBackoff;

        /** Fraction of each wait that is random, 0 to 1. Default 0.2. */
        private @Nullable Double jitter;

        /** Attempts before the failure policy applies, counting the first delivery. Default 10. */
        private @Nullable Integer maxAttempts;

        public @Nullable Duration getInitialBackoff() {
            return initialBackoff;
        }

        public void setInitialBackoff(@Nullable Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
        }

        public @Nullable Duration getMaxBackoff() {
            return maxBackoff;
        }

        public void setMaxBackoff(@Nullable Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }

        public @Nullable Double getJitter() {
            return jitter;
        }

        public void setJitter(@Nullable Double jitter) {
            this.jitter = jitter;
        }

        public @Nullable Integer getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(@Nullable Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        RetryPolicy toPolicy() {
            RetryPolicy defaults = RetryPolicy.DEFAULT;
            return new RetryPolicy(
                    orElse(initialBackoff, defaults.initialBackoff()),
                    orElse(maxBackoff, defaults.maxBackoff()),
                    orElse(jitter, defaults.jitter()),
                    orElse(maxAttempts, defaults.maxAttempts()));
        }
    }

    /** The outbox's Liquibase changelog, run by the application itself. */
    public static class Migrations {
        /**
         * Whether to run outbox's changelog at start-up, before the relay starts. Default false:
         * outbox never runs DDL unless asked; include its changelog in yours instead, or set this.
         */
        private boolean enabled;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** The Actuator health indicator {@code outbox}. */
    public static class Health {
        /** How long committed events may wait unsequenced, with no batch meanwhile, before DOWN. Default 1 minute. */
        private Duration sequencingStalledAfter =
                RelayHealth.Thresholds.defaults().sequencingStalledAfter();

        /** How old a consumer's oldest undelivered entry may be before it is a warning. Default 5 minutes. */
        private Duration consumerLagWarning = RelayHealth.Thresholds.defaults().consumerLagWarning();

        public Duration getSequencingStalledAfter() {
            return sequencingStalledAfter;
        }

        public void setSequencingStalledAfter(Duration sequencingStalledAfter) {
            this.sequencingStalledAfter = sequencingStalledAfter;
        }

        public Duration getConsumerLagWarning() {
            return consumerLagWarning;
        }

        public void setConsumerLagWarning(Duration consumerLagWarning) {
            this.consumerLagWarning = consumerLagWarning;
        }

        RelayHealth.Thresholds toThresholds() {
            return new RelayHealth.Thresholds(sequencingStalledAfter, consumerLagWarning);
        }
    }

    /** The relay's Micrometer meters (with outbox-micrometer and a MeterRegistry). */
    public static class Metrics {
        /** Whether to bind the relay's meters. */
        private boolean enabled = true;

        /** How often the gauges read the database (in the background, never per scrape). Default 10 s. */
        private @Nullable Duration samplingInterval;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable Duration getSamplingInterval() {
            return samplingInterval;
        }

        public void setSamplingInterval(@Nullable Duration samplingInterval) {
            this.samplingInterval = samplingInterval;
        }
    }

    @Override
    public boolean supports(Class<?> type) {
        return OutboxProperties.class.isAssignableFrom(type);
    }

    /**
     * Builds what the properties describe, so that a value the library refuses fails the start-up
     * here, reported against the property it came from. ({@code writer.max-payload-size} is checked
     * where the writer is built: that needs the dialect.)
     */
    @Override
    public void validate(Object target, Errors errors) {
        OutboxProperties properties = (OutboxProperties) target;
        check(errors, "tables.", List.of("schema", "prefix"), properties.tables::toTables);
        check(
                errors,
                "relay.",
                List.of(
                        "relayId",
                        "sequencerBatchSize",
                        "pollFloor",
                        "pollCeiling",
                        "leaseDuration",
                        "shutdownTimeout",
                        "logRetention",
                        "retentionInterval"),
                properties.relay::toOptions);
        check(
                errors,
                "health.",
                List.of("sequencingStalledAfter", "consumerLagWarning"),
                properties.health::toThresholds);
        properties.consumers.forEach((name, consumer) -> check(
                errors,
                "consumers." + name + ".",
                List.of(
                        "batchSize",
                        "partitions",
                        "retry.initialBackoff",
                        "retry.maxBackoff",
                        "retry.jitter",
                        "retry.maxAttempts"),
                () -> consumer.applyTo(OutboxConsumer.atLeastOnce(name, events -> {}))
                        .build()));
    }

    /**
     * Runs {@code build}; if the library refuses a value, rejects the field of {@code fields} that
     * its message names (the library names its settings as these properties' fields are named), or
     * the whole group when it names none.
     */
    private static void check(Errors errors, String path, List<String> fields, Supplier<?> build) {
        try {
            build.get();
        } catch (OutboxConfigurationException | IllegalArgumentException e) {
            String message = e.getMessage();
            for (String field : fields) {
                String name = field.substring(field.lastIndexOf('.') + 1);
                if (message != null && message.contains(name)) {
                    // The dashed name, as the property is written: Spring Boot reports the field so.
                    errors.rejectValue(path + dashed(field), "outbox.invalid", message);
                    return;
                }
            }
            errors.reject("outbox.invalid", path + ": " + message);
        }
    }

    private static String dashed(String camelCase) {
        return camelCase.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static <T> void set(@Nullable T value, java.util.function.Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }

    private static <T> T orElse(@Nullable T value, T fallback) {
        return value != null ? value : fallback;
    }
}
