package dev.outbox.testsupport.history;

import dev.outbox.EventHandler;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayOptions;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import dev.outbox.testkit.history.Delivery;
import dev.outbox.testkit.history.DeliveryRecorder;
import dev.outbox.testkit.history.FaultyConsumer;
import dev.outbox.testkit.history.HandlerCall;
import dev.outbox.testkit.history.HandlerFaults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import javax.sql.DataSource;

/** Builds the relays of a history run, the same in the test's JVM and in a relay process. */
public final class HistoryRelays {

    /** The transactional consumer: writes {@code hist_projection}. */
    public static final String PROJECTION = "projection";

    /** The at-least-once consumer: records deliveries. */
    public static final String RECORDER = "recorder";

    /** The names of the consumers without handler faults. */
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

    /** The names of every consumer of a run with {@code faults}: the two above, and the faulty ones. */
    public static List<String> consumers(HandlerFaults faults) {
        List<String> names = new ArrayList<>(CONSUMERS);
        if (faults.enabled()) {
            FaultyConsumer.ALL.forEach(consumer -> names.add(consumer.name()));
        }
        return List.copyOf(names);
    }

    /**
     * A relay (not started) running the consumers of a run: the transactional projection, the
     * at-least-once recorder, whose deliveries go to {@code deliveries} before {@code afterRecording}
     * runs (recording is its effect on the outside world: once recorded, a delivery counts, whether
     * or not the relay lives to save the checkpoint) and, when {@code faults} are enabled, the
     * {@link FaultyConsumer}s, whose calls go to {@code calls}. The projection and the recorder are
     * split into {@code partitions}. The at-least-once consumers read ahead, so that the faults of a
     * run meet batches read while a handler worked (the conformance suites cover the plain read).
     */
    public static OutboxRelay build(
            DataSource dataSource,
            HistorySchema schema,
            RelayOptions options,
            Consumer<Delivery> deliveries,
            EventHandler afterRecording,
            HandlerFaults faults,
            Consumer<HandlerCall> calls,
            int partitions) {
        String relayId = options.relayId();
        DeliveryRecorder recorder = new DeliveryRecorder(RECORDER, relayId, deliveries, batch -> {});
        OutboxRelay.Builder builder = OutboxRelay.builder(dataSource, schema.dialect())
                .tables(schema.tables())
                .options(options)
                .consumer(OutboxConsumer.transactional(PROJECTION, new ProjectionHandler(schema, relayId, partitions))
                        .partitions(partitions)
                        .startFrom(StartPosition.BEGINNING)
                        .batchSize(CONSUMER_BATCH)
                        .retryPolicy(RetryPolicy.of(Duration.ofMillis(10), Duration.ofSeconds(1), 10))
                        .build())
                .consumer(OutboxConsumer.atLeastOnce(RECORDER, batch -> {
                            recorder.handle(batch);
                            afterRecording.handle(batch);
                        })
                        .partitions(partitions)
                        .startFrom(StartPosition.BEGINNING)
                        .batchSize(CONSUMER_BATCH)
                        .retryPolicy(RetryPolicy.of(Duration.ofMillis(10), Duration.ofSeconds(1), 10))
                        .readAhead(true)
                        .build());
        if (faults.enabled()) {
            for (FaultyConsumer faulty : FaultyConsumer.ALL) {
                FaultyHandler handler = new FaultyHandler(
                        faulty, relayId, faults, calls, faulty.transactional() ? schema.effectInsert() : null);
                OutboxConsumer.Builder consumer = faulty.transactional()
                        ? OutboxConsumer.transactional(faulty.name(), handler)
                        : OutboxConsumer.atLeastOnce(faulty.name(), handler).readAhead(true);
                builder.consumer(consumer.startFrom(StartPosition.BEGINNING)
                        .batchSize(CONSUMER_BATCH)
                        .retryPolicy(FaultyConsumer.RETRY)
                        .failurePolicy(faulty.policy())
                        .build());
            }
        }
        return builder.build();
    }

    /** Whether {@code relay} sequences and runs every partition of every consumer it registers. */
    public static boolean ownsEverything(OutboxRelay relay) {
        return relay.isSequencing()
                && relay.consumers().stream()
                        .allMatch(consumer ->
                                relay.ownedPartitions(consumer.name()).size() == consumer.partitions());
    }
}
