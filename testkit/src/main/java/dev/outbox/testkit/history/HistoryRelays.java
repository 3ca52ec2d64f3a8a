package dev.outbox.testkit.history;

import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayOptions;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import javax.sql.DataSource;

/** Builds the relays of a history run, the same in the test's JVM and in a relay process. */
public final class HistoryRelays {

    /** The transactional consumer: writes {@code hist_projection}. */
    public static final String PROJECTION = "projection";

    /** The at-least-once consumer: records deliveries. */
    public static final String RECORDER = "recorder";

    /** Both consumers' names. */
    public static final List<String> CONSUMERS = List.of(PROJECTION, RECORDER);

    /** Events per handler call of both consumers. */
    public static final int CONSUMER_BATCH = 50;

    private HistoryRelays() {}

    /**
     * Relay options of a run: short polls; a lease of {@code lease}; a shutdown that waits for
     * in-flight batches.
     */
    public static RelayOptions options(String relayId, Duration lease) {
        return RelayOptions.builder()
                .relayId(relayId)
                .sequencerBatchSize(200)
                .pollFloor(Duration.ofMillis(5))
                .pollCeiling(Duration.ofMillis(200))
                .leaseDuration(lease)
                .shutdownTimeout(Duration.ofSeconds(30))
                .build();
    }

    /** A relay (not started) running both consumers of a run. */
    public static OutboxRelay build(
            DataSource dataSource,
            HistorySchema schema,
            RelayOptions options,
            Consumer<Delivery> deliveries,
            RecordingEventHandler.AfterBatch afterBatch) {
        String relayId = options.relayId();
        return OutboxRelay.builder(dataSource, schema.dialect())
                .tables(schema.tables())
                .options(options)
                .consumer(OutboxConsumer.transactional(PROJECTION, new ProjectionHandler(schema, relayId))
                        .startFrom(StartPosition.BEGINNING)
                        .batchSize(CONSUMER_BATCH)
                        .retryPolicy(RetryPolicy.of(Duration.ofMillis(10), Duration.ofSeconds(1), 10))
                        .build())
                .consumer(OutboxConsumer.atLeastOnce(
                                RECORDER, new RecordingEventHandler(RECORDER, relayId, deliveries, afterBatch))
                        .startFrom(StartPosition.BEGINNING)
                        .batchSize(CONSUMER_BATCH)
                        .retryPolicy(RetryPolicy.of(Duration.ofMillis(10), Duration.ofSeconds(1), 10))
                        .build())
                .build();
    }

    /** Whether {@code relay} sequences and runs both consumers. */
    public static boolean ownsEverything(OutboxRelay relay) {
        return relay.isSequencing() && relay.ownsConsumer(PROJECTION) && relay.ownsConsumer(RECORDER);
    }
}
