package dev.outbox.testkit.junit;

import dev.outbox.ConsumerStatus;
import dev.outbox.DeadLetter;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxLog;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.RelayOptions;
import dev.outbox.StartPosition;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.RecordingHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A relay for each test of your own handlers, with waits instead of sleeps. Register it on a field,
 * name the data source (read when each test begins, so a field set in {@code @BeforeAll} works), the
 * dialect and your consumers; each test gets a started relay, closed after it:
 *
 * <pre>{@code
 * @RegisterExtension
 * final OutboxExtension outbox = OutboxExtension.on(() -> dataSource, PostgresDialect.create())
 *         .consumer(OutboxConsumer.atLeastOnce("search", searchIndex).build())
 *         .recording("audit");
 *
 * @Test
 * void indexesWhatWasAppended() {
 *     service.placeOrder(...);               // appends events in its transaction
 *     outbox.awaitConsumed("search");        // every event committed so far is handled
 *     assertThat(searchIndex.find(...)) ...
 * }
 * }</pre>
 *
 * <p>The tables must exist (run the migration first); the relay checks their schema when it starts.
 * It polls fast (a 2 ms floor, a 100 ms ceiling) and holds 2 s leases, so a relay of the previous
 * test, if one were left, would not hold a consumer for long. Not for production: use {@link
 * OutboxRelay} there.
 *
 * <p>In a test of an application that runs its own relay (a Spring Boot test, say), attach the
 * extension to that relay instead, {@link #attachedTo(Supplier)}: the waits then work on the
 * application's relay and consumers, and a consumer whose handler is a {@link RecordingHandler} can
 * be read with {@link #recorded(String)}.
 */
public final class OutboxExtension implements BeforeEachCallback, AfterEachCallback {

    /** How long {@link #awaitConsumed(String)} and {@link #drainNow()} wait by default. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Duration POLL = Duration.ofMillis(10);

    /** Where each test's own relay works; {@code null} when attached to an application's relay. */
    private final @Nullable Supplier<DataSource> dataSource;

    private final @Nullable OutboxDialect dialect;
    private final @Nullable Supplier<OutboxRelay> application;
    private Supplier<OutboxTables> tables = OutboxTables::defaults;
    private final List<OutboxConsumer> consumers = new ArrayList<>();
    private final Map<String, RecordingHandler> recorders = new LinkedHashMap<>();
    private @Nullable OutboxRelay relay;

    private OutboxExtension(
            @Nullable Supplier<DataSource> dataSource,
            @Nullable OutboxDialect dialect,
            @Nullable Supplier<OutboxRelay> application) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.application = application;
    }

    /**
     * An extension whose relays work on the data source {@code dataSource} supplies when a test
     * begins, with {@code dialect}.
     */
    public static OutboxExtension on(Supplier<DataSource> dataSource, OutboxDialect dialect) {
        return new OutboxExtension(
                Objects.requireNonNull(dataSource, "dataSource"), Objects.requireNonNull(dialect, "dialect"), null);
    }

    /**
     * An extension on the relay the application runs, read when each test begins (a field the test
     * framework injects, such as Spring's {@code @Autowired OutboxRelay relay}): no relay of its own,
     * nothing closed after the test. Consumers and recording consumers are the application's beans
     * then; {@link #recorded(String)} finds a consumer whose handler is a {@link RecordingHandler}
     * and clears it as each test begins.
     */
    public static OutboxExtension attachedTo(Supplier<OutboxRelay> relay) {
        return new OutboxExtension(null, null, Objects.requireNonNull(relay, "relay"));
    }

    /** The tables; default {@link OutboxTables#defaults()}. */
    public OutboxExtension tables(OutboxTables outboxTables) {
        Objects.requireNonNull(outboxTables, "tables");
        return tables(() -> outboxTables);
    }

    /** The tables, read when each test begins (a schema your test creates in {@code @BeforeAll}, say). */
    public OutboxExtension tables(Supplier<OutboxTables> outboxTables) {
        this.tables = Objects.requireNonNull(outboxTables, "tables");
        return this;
    }

    /** A consumer of yours that each test's relay runs. */
    public OutboxExtension consumer(OutboxConsumer consumer) {
        requireOwnRelay("consumer(...)");
        consumers.add(Objects.requireNonNull(consumer, "consumer"));
        return this;
    }

    /**
     * A consumer named {@code name} that records what it is handed, from the beginning of the log,
     * for {@link #recorded(String)}: to assert on the events your code appended.
     */
    public OutboxExtension recording(String name) {
        requireOwnRelay("recording(...)");
        RecordingHandler recorder = new RecordingHandler();
        recorders.put(name, recorder);
        return consumer(OutboxConsumer.atLeastOnce(name, recorder)
                .startFrom(StartPosition.BEGINNING)
                .build());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (application != null) {
            relay = Objects.requireNonNull(
                    application.get(),
                    "OutboxExtension: the relay supplier returned null; is the application's relay injected"
                            + " before the test?");
            recordersOf(relay).values().forEach(RecordingHandler::clear);
            return;
        }
        recorders.values().forEach(RecordingHandler::clear);
        DataSource source = Objects.requireNonNull(
                dataSource.get(),
                "OutboxExtension: the data source supplier returned null; is it set before the test?");
        OutboxRelay.Builder builder = OutboxRelay.builder(source, Objects.requireNonNull(dialect))
                .tables(Objects.requireNonNull(tables.get(), "OutboxExtension: the tables supplier returned null"))
                .options(RelayOptions.builder()
                        .relayId("test-" + UUID.randomUUID().toString().substring(0, 8))
                        .pollFloor(Duration.ofMillis(2))
                        .pollCeiling(Duration.ofMillis(100))
                        .leaseDuration(Duration.ofSeconds(2))
                        .build());
        consumers.forEach(builder::consumer);
        relay = builder.build().start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        OutboxRelay running = relay;
        relay = null;
        if (running != null && application == null) {
            running.close();
        }
    }

    /** The relay of the test running now. */
    public OutboxRelay relay() {
        OutboxRelay running = relay;
        if (running == null) {
            throw new IllegalStateException(
                    "OutboxExtension: no test is running; register the extension with @RegisterExtension on a field");
        }
        return running;
    }

    /** {@link #awaitConsumed(String, Duration)} with {@link #DEFAULT_TIMEOUT}. */
    public void awaitConsumed(String consumer) {
        awaitConsumed(consumer, DEFAULT_TIMEOUT);
    }

    /**
     * Waits until consumer {@code consumer} has handled every event committed before this call: the
     * queue is seen empty (the events are sequenced), and the consumer's checkpoint (of every
     * partition) reaches the log's head as it was then.
     *
     * @throws AssertionError if the consumer is blocked (at once, with its seq and error), or if
     *     {@code timeout} passes (saying where the consumer is and what it is doing)
     */
    public void awaitConsumed(String consumer, Duration timeout) {
        Objects.requireNonNull(consumer, "consumer");
        OutboxRelay running = relay();
        if (running.consumers().stream()
                .noneMatch(registered -> registered.name().equals(consumer))) {
            throw new IllegalArgumentException("OutboxExtension: no consumer '" + consumer + "' is registered; it has "
                    + running.consumers().stream().map(OutboxConsumer::name).toList());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long head = headOnceSequenced(running, consumer, deadline, timeout);
        while (true) {
            ConsumerStatus status = running.status(consumer);
            if (status.blockedAtSeq() != null) {
                throw new AssertionError("consumer '" + consumer + "' is BLOCKED at seq " + status.blockedAtSeq()
                        + " (its failure policy is BLOCK): " + status.lastError());
            }
            if (status.checkpoint() >= head) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("consumer '" + consumer + "' did not reach seq " + head + " within "
                        + timeout + ": it is at seq " + status.checkpoint() + ", " + status.state()
                        + (status.owner() == null ? " (no relay holds its lease)" : "")
                        + (status.lastError() == null ? "" : ", last error: " + status.lastError())
                        + (status.parkedCount() > 0 ? ", " + status.parkedCount() + " parked" : ""));
            }
            pause();
        }
    }

    /** {@link #awaitConsumed(String)} for every consumer of the relay, one after the other. */
    public void drainNow() {
        OutboxRelay running = relay();
        running.wakeUp();
        for (OutboxConsumer consumer : running.consumers()) {
            awaitConsumed(consumer.name(), DEFAULT_TIMEOUT);
        }
    }

    /** What the consumer registered with {@link #recording(String)} was handed so far in this test. */
    public RecordingHandler recorded(String name) {
        RecordingHandler recorder =
                application == null ? recorders.get(name) : recordersOf(relay()).get(name);
        if (recorder == null) {
            throw new IllegalArgumentException("OutboxExtension: no recording consumer '" + name + "'; "
                    + (application == null
                            ? "register one with .recording(\"" + name + "\")"
                            : "the application's relay has no consumer of that name whose handler is a"
                                    + " RecordingHandler"));
        }
        return recorder;
    }

    /** The consumers of {@code running} whose handler is a {@link RecordingHandler}, by name. */
    private static Map<String, RecordingHandler> recordersOf(OutboxRelay running) {
        Map<String, RecordingHandler> found = new LinkedHashMap<>();
        for (OutboxConsumer consumer : running.consumers()) {
            if (consumer.handler() instanceof RecordingHandler recorder) {
                found.put(consumer.name(), recorder);
            }
        }
        return found;
    }

    private void requireOwnRelay(String call) {
        if (application != null) {
            throw new IllegalStateException("OutboxExtension." + call + ": this extension is attached to the"
                    + " application's relay; declare the consumer in the application (a handler bean)");
        }
    }

    /** The dead letters of {@code consumer} (waiting, re-drive asked for, or discarded), in seq order. */
    public List<DeadLetter> deadLetters(String consumer) {
        return relay().deadLetters().list(consumer);
    }

    /**
     * The log's head once the queue is empty: every event committed before the call is then in the
     * log, at or below it. (With writers that keep appending, the queue may never be seen empty: wait
     * for the consumer once they stopped.)
     */
    private static long headOnceSequenced(OutboxRelay running, String consumer, long deadline, Duration timeout) {
        OutboxLog log = running.log();
        running.wakeUp();
        while (true) {
            OutboxLog.Queue queue = log.queue(1);
            if (queue.waiting() == 0) {
                return log.head(); // read after the queue: at least as far as its events went
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("events committed before awaitConsumed('" + consumer + "') were not"
                        + " sequenced within " + timeout + ": the queue still holds some (the oldest waits for "
                        + queue.oldest() + "), the log's head is " + log.head() + "; the relay's problems: "
                        + running.problems());
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
