package dev.outbox.micrometer;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.outbox.DownstreamUnavailableException;
import dev.outbox.EventHandler;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.ForwardingDataSource;
import dev.outbox.testkit.database.SchemaSql;
import dev.outbox.testkit.database.TestSchema;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

/**
 * The meters of a running relay against a real database: lag that rises while a handler is held and
 * falls once it is released, deliveries and sequencer batches counted, failures by reaction, parked,
 * blocked and waiting partitions, the queue, consumers and partitions that appear later and rows
 * that go, a database that cannot be read, how often the sampler reads it (and that scrapes never
 * do), and a binding that is closed. A fresh schema per class with tables of their own prefix; the
 * database a subclass names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OutboxMetricsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SAMPLING = Duration.ofMillis(200);
    private static final String SAMPLER_THREAD = "outbox-metrics-";
    /** Fails at once: the failure policy decides at the first failure. */
    private static final RetryPolicy ONE_ATTEMPT = new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(50), 0, 1);

    private TestSchema schema;
    private OutboxTables tables;
    private SchemaSql sql;
    private SamplerWatchingDataSource dataSource;
    private OutboxWriter writer;
    private MeterRegistry registry;
    private final List<AutoCloseable> closeAfterTest = new CopyOnWriteArrayList<>();

    /** The database the tests of the subclass run on. */
    protected abstract TestDatabases database();

    private OutboxDialect dialect() {
        return database().dialect();
    }

    @BeforeAll
    void createSchema() {
        schema = database().server().createSchema(getClass().getSimpleName());
        tables = OutboxTables.of(schema.name(), "metrics_");
        OutboxMigrations.migrate(schema.dataSource(), tables);
        sql = new SchemaSql(schema.dataSource(), dialect(), schema.name());
        dataSource = new SamplerWatchingDataSource(schema.dataSource());
        writer = OutboxWriter.builder(dialect()).tables(tables).build();
    }

    @AfterAll
    void dropSchema() {
        if (schema != null) {
            schema.close();
        }
    }

    /** Each test starts with an empty outbox (its log begins at seq 1) and an empty registry. */
    @BeforeEach
    void emptyOutbox() throws SQLException {
        sql.emptyOutbox(tables);
        registry = new SimpleMeterRegistry();
        dataSource.refuseSampler.set(false);
    }

    @AfterEach
    void closeWhatTheTestStarted() throws Exception {
        List<AutoCloseable> started = new ArrayList<>(closeAfterTest);
        closeAfterTest.clear();
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close(); // bindings before the relays they watch
        }
    }

    /** A relay 'r1', bound, whose consumer 'held' handles nothing until {@code release} opens. */
    private OutboxRelay boundRelayWithAHeldConsumer(CountDownLatch release) {
        OutboxRelay relay = startRelay(
                "r1",
                relayBuilder ->
                        relayBuilder.consumer(consumer("held", held(release)).build()));
        bind(relay);
        return relay;
    }

    @Test
    void shouldShowLagRisingWhileAHandlerIsHeldAndFallingToZeroOnceItIsReleased() {
        CountDownLatch release = new CountDownLatch(1);
        boundRelayWithAHeldConsumer(release);

        append(5);

        await("lag of 5 events")
                .atMost(TIMEOUT)
                .until(() -> gauge(MeterNames.CONSUMER_LAG_EVENTS, "held", 0) == 5 && lagSeconds("held", 0) >= 0);
        double lagSeen = lagSeconds("held", 0);
        await("lag rising").atMost(TIMEOUT).until(() -> lagSeconds("held", 0) > lagSeen);
        assertThat(counter(MeterNames.CONSUMER_DELIVERED, "held", 0)).isZero();
        assertThat(gauge(MeterNames.CONSUMER_RUNNING, "held", 0)).isEqualTo(1);

        release.countDown();

        await("lag gone")
                .atMost(TIMEOUT)
                .until(() -> gauge(MeterNames.CONSUMER_LAG_EVENTS, "held", 0) == 0 && lagSeconds("held", 0) == 0);
        assertThat(counter(MeterNames.CONSUMER_DELIVERED, "held", 0)).isEqualTo(5);
    }

    @Test
    void shouldCountEveryDeliveredEventAndEverySequencedBatch() {
        OutboxRelay relay = startRelay(
                "r1",
                relayBuilder -> relayBuilder.consumer(
                        consumer("counting", batch -> {}).batchSize(7).build()));
        await("sequencer lock").atMost(TIMEOUT).until(relay::isSequencing);
        bind(relay);

        for (int i = 0; i < 8; i++) {
            append(5);
        }

        await("40 delivered").atMost(TIMEOUT).until(() -> counter(MeterNames.CONSUMER_DELIVERED, "counting", 0) == 40);
        Timer batches = find(MeterNames.CONSUMER_BATCH, "counting", 0).timer();
        assertThat(batches.count()).isBetween(6L, 40L); // batches of at most 7
        assertThat(batches.totalTime(TimeUnit.NANOSECONDS)).isPositive();
        assertThat(counter(MeterNames.CONSUMER_FAILURES, "counting", 0)).isNaN(); // registered at the first failure
        assertThat(counter(MeterNames.CONSUMER_RETRIES, "counting", 0)).isZero();

        // the sequencer thread tells its listener after its commit: maybe after the consumer delivered the batch
        await("40 sequenced")
                .atMost(TIMEOUT)
                .until(() -> relayCounter(MeterNames.SEQUENCER_EVENTS) == 40
                        && relayMeters(MeterNames.SEQUENCER_BATCH).timer().count()
                                == relayCounter(MeterNames.SEQUENCER_BATCHES));
        double sequencedBatches = relayCounter(MeterNames.SEQUENCER_BATCHES);
        assertThat(sequencedBatches).isBetween(1.0, 40.0);
        assertThat(relayMeters(MeterNames.SEQUENCER_BATCH).timer().count()).isEqualTo((long) sequencedBatches);
        assertThat(relayMeters(MeterNames.SEQUENCER_LEADER).gauge().value()).isEqualTo(1);
        await("queue sampled empty")
                .atMost(TIMEOUT)
                .until(() -> relayGauge(MeterNames.QUEUE_DEPTH) == 0 && queueOldestSeconds() == 0);
    }

    @Test
    void shouldShowTheQueueOfARelayThatDoesNotSequenceCountedUpToItsCap() {
        OutboxRelay idle = closeAfterTest(relayBuilder("idle").build()); // not started: nothing sequences
        bind(idle);
        OutboxMetrics capped = closeAfterTest(OutboxMetrics.builder(idle, registry)
                .samplingInterval(SAMPLING)
                .queueCountCap(2)
                .tag("binding", "capped")
                .bind());

        append(3);

        await("3 queued").atMost(TIMEOUT).until(() -> relayGauge(MeterNames.QUEUE_DEPTH) == 3);
        // each binding samples on its own thread: the capped one's first sample may come after "3 queued"
        await("capped at 2").atMost(TIMEOUT).until(() -> {
            Gauge depth =
                    registry.find(MeterNames.QUEUE_DEPTH).tags(capped.tags()).gauge();
            return depth != null && depth.value() == 2;
        });
        double oldest = queueOldestSeconds();
        await("oldest queued event ageing").atMost(TIMEOUT).until(() -> queueOldestSeconds() > oldest);
        assertThat(relayMeters(MeterNames.SEQUENCER_LEADER).gauge().value()).isZero();
    }

    @Test
    void shouldCountFailuresByReactionAndShowTheParkedEvent() {
        OutboxRelay relay = startRelay(
                "r1",
                relayBuilder -> relayBuilder.consumer(consumer("parking", poisoned())
                        .batchSize(1) // one event per attempt: each failure is the poison's own
                        .retryPolicy(new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(50), 0, 2))
                        .failurePolicy(FailurePolicy.PARK)
                        .build()));
        bind(relay);

        append(
                OutboxEvent.of("k1", "Fine", "{}"),
                OutboxEvent.of("k2", "Poison", "{}"),
                OutboxEvent.of("k3", "Fine", "{}"));

        await("parked").atMost(TIMEOUT).until(() -> gauge(MeterNames.CONSUMER_PARKED, "parking", 0) == 1);
        await("2 delivered").atMost(TIMEOUT).until(() -> counter(MeterNames.CONSUMER_DELIVERED, "parking", 0) == 2);
        assertThat(failures("parking", "RETRY")).isEqualTo(1); // attempt 1 of 2
        assertThat(failures("parking", "PARK")).isEqualTo(1); // attempt 2: parked
        assertThat(failures("parking", "BLOCK")).isNaN();
        assertThat(counter(MeterNames.CONSUMER_RETRIES, "parking", 0)).isEqualTo(1);
        await("no lag").atMost(TIMEOUT).until(() -> gauge(MeterNames.CONSUMER_LAG_EVENTS, "parking", 0) == 0);
        assertThat(gauge(MeterNames.CONSUMER_BLOCKED, "parking", 0)).isZero();
    }

    @Test
    void shouldShowABlockedConsumerUntilItsHandlerSucceeds() {
        AtomicBoolean fixed = new AtomicBoolean();
        OutboxRelay relay = startRelay(
                "r1",
                relayBuilder -> relayBuilder.consumer(consumer("blocking", batch -> {
                            if (!fixed.get()
                                    && batch.stream()
                                            .anyMatch(e -> e.eventType().equals("Poison"))) {
                                throw new IllegalStateException("poison");
                            }
                        })
                        .batchSize(1)
                        .retryPolicy(ONE_ATTEMPT)
                        .failurePolicy(FailurePolicy.BLOCK)
                        .build()));
        bind(relay);

        append(
                OutboxEvent.of("k1", "Fine", "{}"),
                OutboxEvent.of("k2", "Poison", "{}"),
                OutboxEvent.of("k3", "Fine", "{}"));

        // the row is written before the listener is told: either may be seen first
        await("blocked")
                .atMost(TIMEOUT)
                .until(() ->
                        gauge(MeterNames.CONSUMER_BLOCKED, "blocking", 0) == 1 && failures("blocking", "BLOCK") >= 1);
        assertThat(gauge(MeterNames.CONSUMER_LAG_EVENTS, "blocking", 0)).isEqualTo(2); // the poison and the one after
        assertThat(counter(MeterNames.CONSUMER_DELIVERED, "blocking", 0)).isEqualTo(1);

        fixed.set(true);

        await("unblocked")
                .atMost(TIMEOUT)
                .until(() -> gauge(MeterNames.CONSUMER_BLOCKED, "blocking", 0) == 0
                        && gauge(MeterNames.CONSUMER_LAG_EVENTS, "blocking", 0) == 0);
        assertThat(counter(MeterNames.CONSUMER_DELIVERED, "blocking", 0)).isEqualTo(3);
    }

    @Test
    void shouldShowAConsumerWaitingForItsDownstreamWithoutCountingRetries() {
        AtomicBoolean down = new AtomicBoolean(true);
        OutboxRelay relay = startRelay(
                "r1",
                relayBuilder -> relayBuilder.consumer(consumer("waiting", batch -> {
                            if (down.get()) {
                                throw new DownstreamUnavailableException("the test's downstream is down");
                            }
                        })
                        .retryPolicy(new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(100), 0, 3))
                        .build()));
        bind(relay);

        append(2);

        await("waiting")
                .atMost(TIMEOUT)
                .until(() -> gauge(MeterNames.CONSUMER_WAITING, "waiting", 0) == 1
                        && failures("waiting", "WAIT_FOR_DOWNSTREAM") >= 1);
        assertThat(counter(MeterNames.CONSUMER_RETRIES, "waiting", 0)).isZero();
        assertThat(gauge(MeterNames.CONSUMER_BLOCKED, "waiting", 0)).isZero();

        down.set(false);

        await("back").atMost(TIMEOUT).until(() -> gauge(MeterNames.CONSUMER_WAITING, "waiting", 0) == 0);
        await("delivered").atMost(TIMEOUT).until(() -> counter(MeterNames.CONSUMER_DELIVERED, "waiting", 0) == 2);
    }

    @Test
    void shouldShowConsumersAndPartitionsOfOtherRelaysAsTheyAppearAndDropThemOnceDeleted() throws Exception {
        OutboxRelay relay = startRelay(
                "r1",
                relayBuilder ->
                        relayBuilder.consumer(consumer("here", batch -> {}).build()));
        bind(relay);
        await("own consumer sampled")
                .atMost(TIMEOUT)
                .until(() -> !Double.isNaN(gauge(MeterNames.CONSUMER_LAG_EVENTS, "here", 0)));
        assertThat(registry.find(MeterNames.CONSUMER_LAG_EVENTS)
                        .tag("consumer", "split")
                        .gauges())
                .isEmpty();

        OutboxRelay other = startRelay(
                "r2",
                relayBuilder -> relayBuilder.consumer(
                        consumer("split", batch -> {}).partitions(2).build()));
        MeterRegistry otherRegistry = new SimpleMeterRegistry();
        OutboxMetrics otherMetrics = closeAfterTest(OutboxMetrics.builder(other, otherRegistry)
                .samplingInterval(SAMPLING)
                .bind());
        for (int i = 0; i < 20; i++) {
            append(OutboxEvent.of("key-" + i % 10, "E", "{}"));
        }

        await("both partitions delivered")
                .atMost(TIMEOUT)
                .until(() -> otherRegistry
                                .find(MeterNames.CONSUMER_DELIVERED)
                                .tags(otherMetrics.tags())
                                .tag("consumer", "split")
                                .counters()
                                .stream()
                                .mapToDouble(Counter::count)
                                .sum()
                        == 20);
        for (String partition : List.of("0", "1")) {
            assertThat(otherRegistry
                            .find(MeterNames.CONSUMER_DELIVERED)
                            .tags("consumer", "split", "partition", partition)
                            .counter()
                            .count())
                    .as("partition %s delivered some", partition)
                    .isPositive();
        }
        // the first relay samples the other relay's consumer (cluster-wide) but counts nothing of it
        await("other relay's partitions sampled")
                .atMost(TIMEOUT)
                .until(() -> gauge(MeterNames.CONSUMER_LAG_EVENTS, "split", 0) == 0
                        && gauge(MeterNames.CONSUMER_LAG_EVENTS, "split", 1) == 0
                        && gauge(MeterNames.CONSUMER_RUNNING, "split", 1) == 1);
        assertThat(registry.find(MeterNames.CONSUMER_DELIVERED)
                        .tag("consumer", "split")
                        .counters())
                .isEmpty();

        otherMetrics.close();
        other.close();
        assertThat(relay.deleteConsumer("split")).isTrue();

        await("deleted consumer's gauges gone")
                .atMost(TIMEOUT)
                .until(() -> registry.find(MeterNames.CONSUMER_LAG_EVENTS)
                        .tag("consumer", "split")
                        .gauges()
                        .isEmpty());
        assertThat(gauge(MeterNames.CONSUMER_LAG_EVENTS, "here", 0)).isZero();
    }

    @Test
    void shouldQueryTheDatabaseABoundedNumberOfTimesPerIntervalHoweverOftenItIsScraped() {
        OutboxRelay relay = startRelay(
                "r1",
                relayBuilder -> relayBuilder.consumer(consumer("c", batch -> {}).build()));
        bind(relay);
        append(3);
        await("first sample").atMost(TIMEOUT).until(() -> gauge(MeterNames.CONSUMER_LAG_EVENTS, "c", 0) == 0);

        long fromCount = dataSource.borrowedBySampler.get();
        long from = System.nanoTime();
        await("five samples").atMost(TIMEOUT).until(() -> dataSource.borrowedBySampler.get() >= fromCount + 10);
        long borrowed = dataSource.borrowedBySampler.get() - fromCount;
        // two connections a sample (status, queue); a sample at most every interval
        assertThat(borrowed).isLessThanOrEqualTo(2 * (intervalsSince(from) + 2));

        long beforeScrapes = dataSource.borrowedBySampler.get();
        long scrapesFrom = System.nanoTime();
        dataSource.borrowedByWatched.set(0);
        dataSource.watched = Thread.currentThread();
        double sum = 0;
        for (int scrape = 0; scrape < 1000; scrape++) {
            for (Meter meter : registry.getMeters()) {
                for (Measurement measurement : meter.measure()) {
                    sum += measurement.getValue();
                }
            }
        }
        dataSource.watched = null;
        long duringScrapes = dataSource.borrowedBySampler.get() - beforeScrapes;
        assertThat(sum).isNotNaN();
        assertThat(registry.getMeters()).hasSizeGreaterThan(10);
        assertThat(dataSource.borrowedByWatched.get())
                .as("connections the scrapes took")
                .isZero();
        // 1,000 scrapes of every meter: only the samples that fell due meanwhile, none per scrape
        assertThat(duringScrapes).isLessThanOrEqualTo(2 * (intervalsSince(scrapesFrom) + 2));
    }

    @Test
    void shouldKeepTheLastValuesAndWarnOnceWhileTheDatabaseCannotBeRead() {
        CountDownLatch release = new CountDownLatch(1);
        boundRelayWithAHeldConsumer(release);
        append(3);
        await("lag of 3").atMost(TIMEOUT).until(() -> gauge(MeterNames.CONSUMER_LAG_EVENTS, "held", 0) == 3);
        ListAppender<ILoggingEvent> log = captureSamplerLog();

        dataSource.refuseSampler.set(true);
        long refusedFrom = dataSource.borrowedBySampler.get();
        await("four failed samples").atMost(TIMEOUT).until(() -> dataSource.borrowedBySampler.get() >= refusedFrom + 8);
        release.countDown(); // the relay delivers, but the sampler cannot see it

        await("delivered").atMost(TIMEOUT).until(() -> counter(MeterNames.CONSUMER_DELIVERED, "held", 0) == 3);
        long failedFrom = dataSource.borrowedBySampler.get();
        await("two more failed samples")
                .atMost(TIMEOUT)
                .until(() -> dataSource.borrowedBySampler.get() >= failedFrom + 4);
        assertThat(gauge(MeterNames.CONSUMER_LAG_EVENTS, "held", 0)).isEqualTo(3); // the last value seen
        assertThat(relayGauge(MeterNames.QUEUE_DEPTH)).isZero();
        assertThat(levels(log, Level.WARN)).hasSize(1);
        assertThat(levels(log, Level.WARN).get(0).getFormattedMessage())
                .contains("sampling the database failed", "last values");

        dataSource.refuseSampler.set(false);

        await("sampled again").atMost(TIMEOUT).until(() -> gauge(MeterNames.CONSUMER_LAG_EVENTS, "held", 0) == 0);
        assertThat(levels(log, Level.WARN)).hasSize(1);
        assertThat(levels(log, Level.INFO))
                .extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(message -> message.contains("works again"));
    }

    @Test
    void shouldRemoveItsMetersAndStopItsThreadWhenClosed() {
        OutboxRelay relay = startRelay(
                "r1",
                relayBuilder -> relayBuilder.consumer(consumer("c", batch -> {}).build()));
        OutboxMetrics metrics = OutboxMetrics.builder(relay, registry)
                .samplingInterval(SAMPLING)
                .bind();
        append(1);
        await("delivered and sampled")
                .atMost(TIMEOUT)
                .until(() -> counter(MeterNames.CONSUMER_DELIVERED, "c", 0) == 1
                        && gauge(MeterNames.CONSUMER_LAG_EVENTS, "c", 0) == 0
                        && !Double.isNaN(relayGauge(MeterNames.QUEUE_DEPTH)));
        assertThat(samplerThreads()).hasSize(1);

        metrics.close();

        assertThat(registry.getMeters()).isEmpty();
        await("sampler thread ended")
                .atMost(TIMEOUT)
                .until(() -> samplerThreads().isEmpty());
        long borrowed = dataSource.borrowedBySampler.get();
        append(2);
        await("delivered after close")
                .atMost(TIMEOUT)
                .until(() -> relay.status("c").checkpoint() == 3);
        assertThat(registry.getMeters())
                .as("nothing registered by the listener after close")
                .isEmpty();
        assertThat(dataSource.borrowedBySampler.get()).isEqualTo(borrowed);
        metrics.close(); // idempotent
        // the registry is free for a new binding of the same relay
        closeAfterTest(OutboxMetrics.bind(relay, registry));
    }

    @Test
    void shouldTagEveryMeterWithItsOutboxAndRefuseBadOptionsAndASecondBindingWithTheSameTags() {
        OutboxRelay relay = closeAfterTest(relayBuilder("idle")
                .consumer(consumer("c", batch -> {}).build())
                .build());

        // README: binding
        OutboxMetrics metrics = OutboxMetrics.bind(relay, registry); // close it before the relay
        // README: end
        closeAfterTest(metrics);

        assertThat(registry.getMeters())
                .isNotEmpty()
                .allSatisfy(meter -> assertThat(meter.getId().getTag("outbox")).isEqualTo(schema.name() + ".metrics_"));
        assertThat(metrics.samplingInterval()).isEqualTo(OutboxMetrics.DEFAULT_SAMPLING_INTERVAL);
        assertThatThrownBy(() -> OutboxMetrics.bind(relay, registry))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("bound to this registry already")
                .hasMessageContaining("tag(\"relay\"");

        // README: options
        OutboxMetrics another = OutboxMetrics.builder(relay, registry)
                .samplingInterval(Duration.ofSeconds(30)) // default 10 s
                .tag("relay", relay.options().relayId()) // on every meter
                .bind();
        // README: end
        closeAfterTest(another);
        assertThat(another.tags()).contains(Tag.of("relay", "idle"));

        assertThatThrownBy(() -> OutboxMetrics.builder(relay, registry)
                        .samplingInterval(Duration.ofMillis(10))
                        .bind())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessage("metrics: samplingInterval must be in [PT0.05S, PT1H], was PT0.01S");
        assertThatThrownBy(() ->
                        OutboxMetrics.builder(relay, registry).queueCountCap(0).bind())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("queueCountCap must be in [1, 1000000], was 0");
        assertThatThrownBy(() -> OutboxMetrics.builder(relay, registry).tag("consumer", "x"))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("tag 'consumer' is set by the binding itself");
    }

    // ---- helpers

    /**
     * Counts the connections the sampling threads borrow, and refuses them when asked (the database
     * down for them only); counts those a watched thread (a scraper) borrows.
     */
    private static final class SamplerWatchingDataSource extends ForwardingDataSource {
        final AtomicLong borrowedBySampler = new AtomicLong();
        final AtomicBoolean refuseSampler = new AtomicBoolean();
        final AtomicLong borrowedByWatched = new AtomicLong();
        volatile Thread watched;

        SamplerWatchingDataSource(DataSource delegate) {
            super(delegate);
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (Thread.currentThread() == watched) {
                borrowedByWatched.incrementAndGet();
            }
            if (Thread.currentThread().getName().startsWith(SAMPLER_THREAD)) {
                borrowedBySampler.incrementAndGet();
                if (refuseSampler.get()) {
                    throw new SQLTransientConnectionException("the test refuses the sampler a connection", "08001");
                }
            }
            return super.getConnection();
        }
    }

    private OutboxRelay.Builder relayBuilder(String relayId) {
        return OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(RelayOptions.builder()
                        .relayId(relayId)
                        .pollFloor(Duration.ofMillis(2))
                        .pollCeiling(Duration.ofMillis(100))
                        .leaseDuration(Duration.ofSeconds(3))
                        .shutdownTimeout(Duration.ofSeconds(10))
                        .build());
    }

    /** Builds, starts and closes after the test a relay with short polls and leases. */
    private OutboxRelay startRelay(String relayId, Consumer<OutboxRelay.Builder> customize) {
        OutboxRelay.Builder builder = relayBuilder(relayId);
        customize.accept(builder);
        return closeAfterTest(builder.build()).start();
    }

    private static OutboxConsumer.Builder consumer(String name, EventHandler handler) {
        return OutboxConsumer.atLeastOnce(name, handler).startFrom(StartPosition.BEGINNING);
    }

    /** A handler that waits for {@code release} in each call. */
    private static EventHandler held(CountDownLatch release) {
        return batch -> {
            if (!release.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the handler");
            }
        };
    }

    /** A handler that fails on every batch holding an event of type {@code Poison}. */
    private static EventHandler poisoned() {
        return batch -> {
            if (batch.stream().anyMatch(event -> event.eventType().equals("Poison"))) {
                throw new IllegalStateException("poison");
            }
        };
    }

    private OutboxMetrics bind(OutboxRelay relay) {
        return closeAfterTest(OutboxMetrics.builder(relay, registry)
                .samplingInterval(SAMPLING)
                .bind());
    }

    private <T extends AutoCloseable> T closeAfterTest(T resource) {
        closeAfterTest.add(resource);
        return resource;
    }

    private void append(int count) {
        OutboxEvent[] events = new OutboxEvent[count];
        for (int i = 0; i < count; i++) {
            events[i] = OutboxEvent.of("k" + i, "E", "{}");
        }
        append(events);
    }

    private void append(OutboxEvent... events) {
        writer.inTransaction(schema.dataSource(), tx -> {
            tx.append(events);
            return null;
        });
    }

    /** The meters of the binding {@link #bind(OutboxRelay)} made (tags {@code outbox} only). */
    private Search relayMeters(String name) {
        return registry.find(name).tags(List.of(Tag.of("outbox", schema.name() + ".metrics_")));
    }

    private Search find(String name, String consumer, int partition) {
        return relayMeters(name).tags("consumer", consumer, "partition", Integer.toString(partition));
    }

    /** A consumer gauge's value, NaN while it is not registered. */
    private double gauge(String name, String consumer, int partition) {
        Gauge gauge = find(name, consumer, partition).gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }

    private double lagSeconds(String consumer, int partition) {
        TimeGauge gauge = find(MeterNames.CONSUMER_LAG, consumer, partition).timeGauge();
        return gauge == null ? Double.NaN : gauge.value(TimeUnit.SECONDS);
    }

    /** A consumer counter's count, NaN while it is not registered. */
    private double counter(String name, String consumer, int partition) {
        Counter counter = find(name, consumer, partition).counter();
        return counter == null ? Double.NaN : counter.count();
    }

    private double failures(String consumer, String reaction) {
        Counter counter = find(MeterNames.CONSUMER_FAILURES, consumer, 0)
                .tag("reaction", reaction)
                .counter();
        return counter == null ? Double.NaN : counter.count();
    }

    private double relayCounter(String name) {
        return relayMeters(name).counter().count();
    }

    /** A gauge of the relay (no consumer tag) of the default binding, NaN while it is not registered. */
    private double relayGauge(String name) {
        Gauge gauge = relayMeters(name).tagKeys("outbox").gauges().stream()
                .filter(g -> g.getId().getTags().size() == 1)
                .findFirst()
                .orElse(null);
        return gauge == null ? Double.NaN : gauge.value();
    }

    private double queueOldestSeconds() {
        TimeGauge gauge = relayMeters(MeterNames.QUEUE_OLDEST).timeGauges().stream()
                .filter(g -> g.getId().getTags().size() == 1)
                .findFirst()
                .orElse(null);
        return gauge == null ? Double.NaN : gauge.value(TimeUnit.SECONDS);
    }

    private static long intervalsSince(long fromNanos) {
        return (System.nanoTime() - fromNanos) / SAMPLING.toNanos();
    }

    private List<Thread> samplerThreads() {
        String name = SAMPLER_THREAD + OutboxMetrics.outboxTag(tables);
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals(name) && thread.isAlive())
                .toList();
    }

    private ListAppender<ILoggingEvent> captureSamplerLog() {
        Logger logger = (Logger) LoggerFactory.getLogger(Sampler.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        closeAfterTest(() -> logger.detachAppender(appender));
        return appender;
    }

    private static List<ILoggingEvent> levels(ListAppender<ILoggingEvent> appender, Level level) {
        return appender.list.stream().filter(event -> event.getLevel() == level).toList();
    }
}
