package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.ConsumerStatus;
import dev.outbox.DeadLetter;
import dev.outbox.DownstreamUnavailableException;
import dev.outbox.EventHandler;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxException;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.PartialSuccessException;
import dev.outbox.RetryPolicy;
import dev.outbox.TransactionalEventHandler;
import dev.outbox.testkit.ForwardingDataSource;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.database.TestSchema;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * What a user's handler can do to a consumer, and what it must not be able to: lose an event, stop
 * a consumer for good, leave its status stale. Each test reproduces a case that broke these rules.
 */
public abstract class HandlerFailureConformanceTest extends ConformanceTestBase {

    private static final RetryPolicy TWO_ATTEMPTS = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(20), 0, 2);

    private static final RetryPolicy FAST_RETRIES = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(20), 0, 3);

    // --- PARK_KEY: no event of a parked key goes missing -----------------------------------------

    /** Throws for every key that starts with {@code bad}; records the others. */
    private static EventHandler failingBadKeys(RecordingHandler delivered) {
        return batch -> {
            for (OutboxRecord record : batch) {
                if (record.aggregateId().startsWith("bad")) {
                    throw new IllegalStateException("cannot handle key " + record.aggregateId());
                }
            }
            delivered.handle(batch);
        };
    }

    /** Key bad-a parked; then five transactions [bad-a, bad-bN]; then one event of key good. */
    private void appendTheParkKeyScenario(OutboxRelay relay, String consumer) {
        appendCommitted(OutboxEvent.of("bad-a", "E", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status(consumer).parkedCount() == 1);
        for (int n = 1; n <= 5; n++) {
            appendCommitted(OutboxEvent.of("bad-a", "E", "{}"), OutboxEvent.of("bad-b" + n, "E", "{}"));
        }
        appendCommitted(OutboxEvent.of("good", "E", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status(consumer).checkpoint() == 12);
    }

    private static List<Long> parkedSeqs(OutboxRelay relay, String consumer) {
        return relay.deadLetters().list(consumer).stream()
                .map(d -> d.record().seq())
                .toList();
    }

    @Test
    void shouldParkEveryLaterEventOfAParkedKeyWhenAnotherKeyFailsInTheSameBatch() throws Exception {
        RecordingHandler delivered = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("per-key", failingBadKeys(delivered))
                        .retryPolicy(TWO_ATTEMPTS)
                        .failurePolicy(FailurePolicy.PARK_KEY)
                        .build()));

        appendTheParkKeyScenario(relay, "per-key");

        assertThat(delivered.seqs()).containsExactly(12L);
        assertThat(parkedSeqs(relay, "per-key"))
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 11).boxed().toList());
    }

    @Test
    void shouldParkEveryLaterEventOfAParkedKeyOfATransactionalConsumer() throws Exception {
        String applied = table("applied_per_key");
        execute("CREATE TABLE " + applied + " (" + column("seq") + " BIGINT NOT NULL)");
        TransactionalEventHandler handler = (batch, connection) -> {
            for (OutboxRecord record : batch) {
                insertApplied(connection, applied, record.seq());
                if (record.aggregateId().startsWith("bad")) {
                    throw new IllegalStateException("cannot handle key " + record.aggregateId());
                }
            }
        };
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.transactional("per-key", handler)
                        .retryPolicy(TWO_ATTEMPTS)
                        .failurePolicy(FailurePolicy.PARK_KEY)
                        .build()));

        appendTheParkKeyScenario(relay, "per-key");

        assertThat(queryLongs("SELECT " + column("seq") + " FROM " + applied)).containsExactly(12L);
        assertThat(parkedSeqs(relay, "per-key"))
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 11).boxed().toList());
    }

    @Test
    void shouldHoldALaterEventOfAParkedKeyBackWhenTheReadOfTheParkedKeysFailedAfterATakeover() throws Exception {
        RecordingHandler delivered = new RecordingHandler();
        AtomicBoolean fixed = new AtomicBoolean();
        OutboxConsumer perKey = OutboxConsumer.atLeastOnce("per-key", poisonSensitive(delivered, fixed))
                .retryPolicy(TWO_ATTEMPTS)
                .failurePolicy(FailurePolicy.PARK_KEY)
                .build();
        OutboxRelay first = startRelay("r1", builder -> builder.consumer(perKey));
        appendCommitted(OutboxEvent.of("a", "Poison", "{}"));
        await().atMost(TIMEOUT).until(() -> first.status("per-key").parkedCount() == 1);
        first.close();
        appendCommitted(OutboxEvent.of("a", "Fine", "{}"), OutboxEvent.of("b", "Fine", "{}"));

        // The relay that takes over fails to read the keys with dead letters once (a killed
        // session, say); its next step must read them again, not hand out seq 2 of parked key a.
        AtomicInteger failures = new AtomicInteger(1);
        ForwardingDataSource failingOnce = new ForwardingDataSource(dataSource) {
            @Override
            public Connection getConnection() throws SQLException {
                return failingParkedKeysRead(super.getConnection(), failures);
            }
        };
        OutboxRelay second = track(OutboxRelay.builder(failingOnce, dialect())
                        .tables(tables)
                        .options(fastOptions("r2")
                                .leaseDuration(Duration.ofSeconds(30)) // no renewal re-reads the keys meanwhile
                                .build())
                        .consumer(perKey)
                        .build())
                .start();

        await().atMost(TIMEOUT).until(() -> second.status("per-key").checkpoint() == 3);
        assertThat(delivered.seqs()).containsExactly(3L);
        assertThat(parkedSeqs(second, "per-key")).containsExactly(1L, 2L);
        assertThat(failures.get()).as("the failed read was tried again").isNegative();
    }

    /** A connection whose statements that read the keys with dead letters fail while {@code failures} lasts. */
    private Connection failingParkedKeysRead(Connection connection, AtomicInteger failures) {
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("prepareStatement")
                            && args[0] instanceof String sql
                            && sql.toLowerCase(Locale.ROOT).contains("select distinct")
                            && sql.contains(tables.deadLetterTable())
                            && failures.getAndDecrement() > 0) {
                        throw new SQLTransientConnectionException("session killed (simulated)", "08006");
                    }
                    return invoke(connection, method, args);
                });
    }

    private static void insertApplied(Connection connection, String table, long seq) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table + " VALUES (?)")) {
            insert.setLong(1, seq);
            insert.executeUpdate();
        }
    }

    // --- a handler that throws an Error --------------------------------------------------------

    /** Fails the first {@code failures} calls with what {@code error} makes, then records. */
    private static EventHandler failingWith(
            Supplier<Throwable> error, int failures, AtomicInteger calls, RecordingHandler delivered) {
        return batch -> {
            if (calls.incrementAndGet() <= failures) {
                Throwable thrown = error.get();
                if (thrown instanceof Error e) {
                    throw e;
                }
                throw (Exception) thrown;
            }
            delivered.handle(batch);
        };
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    private void assertTheConsumerKeepsRetryingAfter(Supplier<Throwable> error, String errorClass) {
        AtomicInteger calls = new AtomicInteger();
        RecordingHandler delivered = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "r1",
                builder ->
                        builder.consumer(OutboxConsumer.atLeastOnce("erring", failingWith(error, 8, calls, delivered))
                                .retryPolicy(FAST_RETRIES)
                                .build()));
        appendCommitted(OutboxEvent.of("k", "E", "{}"));

        // the consumer is still there: it blocks after 3 attempts and retries at the capped interval
        await().atMost(TIMEOUT).until(() -> calls.get() >= 5);
        ConsumerStatus failing = relay.status("erring");
        assertThat(failing.owner()).isEqualTo("r1");
        assertThat(failing.lastError()).contains(errorClass);

        delivered.awaitCount(1, TIMEOUT);
        await().atMost(TIMEOUT)
                .until(() -> relay.status("erring").state() == ConsumerStatus.State.RUNNING
                        && relay.status("erring").lastError() == null);
        assertThat(delivered.seqs()).containsExactly(1L);
        assertThat(calls.get()).isEqualTo(9);
    }

    @Test
    void shouldKeepRetryingAConsumerWhoseHandlerThrowsAnAssertionError() {
        assertTheConsumerKeepsRetryingAfter(
                () -> new AssertionError("expected 2 but was 3"), AssertionError.class.getName());
    }

    @Test
    void shouldKeepRetryingAConsumerWhoseHandlerOverflowsItsStack() {
        assertTheConsumerKeepsRetryingAfter(
                () -> {
                    try {
                        recurse(0);
                        throw new IllegalStateException("unreachable");
                    } catch (StackOverflowError e) {
                        return e;
                    }
                },
                StackOverflowError.class.getName());
    }

    @Test
    void shouldKeepRetryingAConsumerWhoseHandlerMissesAClass() {
        assertTheConsumerKeepsRetryingAfter(
                () -> new NoClassDefFoundError("com/example/Missing"), NoClassDefFoundError.class.getName());
    }

    @Test
    void shouldKeepSequencingAfterTheSequencerMetAnError() throws Exception {
        AtomicInteger errors = new AtomicInteger(5);
        ForwardingDataSource erring = new ForwardingDataSource(dataSource) {
            @Override
            public Connection getConnection() throws SQLException {
                if (Thread.currentThread().getName().equals("outbox-sequencer") && errors.getAndDecrement() > 0) {
                    throw new NoClassDefFoundError("org/example/DriverPart");
                }
                return super.getConnection();
            }
        };
        RecordingHandler delivered = new RecordingHandler();
        track(OutboxRelay.builder(erring, dialect())
                        .tables(tables)
                        .options(fastOptions("r1").build())
                        .atLeastOnce("search", delivered)
                        .build())
                .start();
        appendEach("k", 3);

        delivered.awaitCount(3, TIMEOUT);
        assertThat(errors.get()).isNegative();
        assertThat(delivered.seqs()).containsExactly(1L, 2L, 3L);
    }

    // --- re-drives keep key order and respect discards ------------------------------------------

    @Test
    void shouldReDriveAKeysTailInFullBatchesAmongRequestsOfOtherKeysThatWait() throws Exception {
        // key "hot": a poison event and 59 events parked behind it; five "stuck" keys, each a
        // handler that never takes their first event and 11 events parked behind it, interleaved
        // with hot's in the log
        List<List<Long>> hotCalls = new CopyOnWriteArrayList<>();
        AtomicBoolean fixed = new AtomicBoolean();
        EventHandler handler = batch -> {
            for (OutboxRecord record : batch) {
                if (record.eventType().equals("Stuck") || (record.eventType().equals("Poison") && !fixed.get())) {
                    throw new IllegalStateException("cannot handle seq " + record.seq());
                }
            }
            List<Long> hot = batch.stream()
                    .filter(record -> record.aggregateId().equals("hot"))
                    .map(OutboxRecord::seq)
                    .toList();
            if (!hot.isEmpty()) {
                hotCalls.add(hot);
            }
        };
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("per-key", handler)
                        .batchSize(10)
                        .retryPolicy(TWO_ATTEMPTS)
                        .failurePolicy(FailurePolicy.PARK_KEY)
                        .build()));
        for (int n = 0; n < 60; n++) {
            appendCommitted(
                    OutboxEvent.of("hot", n == 0 ? "Poison" : "Fine", "{}"),
                    OutboxEvent.of("stuck-" + n % 5, n < 5 ? "Stuck" : "Fine", "{}"));
        }
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").checkpoint() == 120);
        assertThat(relay.status("per-key").parkedCount()).isEqualTo(120);

        // fixed for hot: a re-drive of all delivers hot's 60 events; the stuck keys' first events
        // fail again, and their later requests wait behind them, in every window of requests
        fixed.set(true);
        assertThat(relay.deadLetters().redriveAll("per-key")).isEqualTo(120);
        await().atMost(TIMEOUT)
                .until(() -> hotCalls.stream().mapToInt(List::size).sum() >= 60);

        List<Long> hotSeqs = hotCalls.stream().flatMap(List::stream).toList();
        assertThat(hotSeqs)
                .containsExactlyElementsOf(
                        LongStream.iterate(1, seq -> seq + 2).limit(60).boxed().toList());
        // the first window (five of hot's, five stuck) fails and goes one at a time: 5 calls; then
        // hot's tail, read by the key, in batches of 10: 6 calls. Windows of requests after a
        // cursor would hand hot's tail over five at a time, between the stuck keys' waiting
        // requests: 11 calls more
        assertThat(hotCalls).as("handler calls with hot's events").hasSizeLessThanOrEqualTo(12);
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").parkedCount() == 60);
    }

    @Test
    void shouldRetryAReDriveThatFailsOnceByTheRetryPolicyInsteadOfParkingItAgain() throws Exception {
        AtomicInteger failuresLeft = new AtomicInteger(Integer.MAX_VALUE);
        RecordingHandler delivered = new RecordingHandler();
        EventHandler handler = batch -> {
            if (batch.stream().anyMatch(record -> record.eventType().equals("Flaky"))
                    && failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("index busy");
            }
            delivered.handle(batch);
        };
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("parking", handler)
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK)
                        .build()));
        appendCommitted(OutboxEvent.of("a", "Flaky", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("parking").parkedCount() == 1);

        // the downstream fails once more when the event is re-driven: retried, not parked again
        failuresLeft.set(1);
        assertThat(relay.deadLetters().redrive("parking", 1)).isTrue();
        delivered.awaitCount(1, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> relay.deadLetters().list("parking").isEmpty());
        assertThat(failuresLeft.get()).isNegative(); // it did fail on the re-drive's first attempt
    }

    @Test
    void shouldRetryAFailedReDriveOfATransactionalConsumerOnlyAfterTheEventsBeforeItThatRolledBack() throws Exception {
        // a transactional re-drive of [1, 2, 3] fails at 3: 1 and 2 roll back with it, and go first
        AtomicBoolean fixed = new AtomicBoolean();
        AtomicInteger flakyFailures = new AtomicInteger(1);
        List<Long> handled = new CopyOnWriteArrayList<>();
        TransactionalEventHandler handler = (batch, connection) -> {
            for (int i = 0; i < batch.size(); i++) {
                OutboxRecord record = batch.get(i);
                boolean poison = record.eventType().equals("Poison") && !fixed.get();
                boolean flaky =
                        record.eventType().equals("Flaky") && fixed.get() && flakyFailures.getAndDecrement() > 0;
                if (poison || flaky) {
                    throw new PartialSuccessException(i, new IllegalStateException("cannot apply " + record.seq()));
                }
            }
            batch.forEach(record -> handled.add(record.seq()));
        };
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.transactional("per-key", handler)
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK_KEY)
                        .build()));
        appendCommitted(
                OutboxEvent.of("a", "Poison", "{}"),
                OutboxEvent.of("a", "Fine", "{}"),
                OutboxEvent.of("a", "Flaky", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").parkedCount() == 3);

        fixed.set(true);
        assertThat(relay.deadLetters().redriveAll("per-key")).isEqualTo(3);
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").parkedCount() == 0);
        assertThat(handled).containsExactly(1L, 2L, 3L);
    }

    @Test
    void shouldStopTheReDriveOfAKeyAtAnEventThatFailsAgain() throws Exception {
        AtomicBoolean fixed = new AtomicBoolean();
        RecordingHandler delivered = new RecordingHandler();
        EventHandler handler = poisonSensitive(delivered, fixed);
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("per-key", handler)
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK_KEY)
                        .build()));
        appendCommitted(
                OutboxEvent.of("a", "Poison", "{}"),
                OutboxEvent.of("a", "Fine", "{}"),
                OutboxEvent.of("a", "Fine", "{}"),
                OutboxEvent.of("b", "Fine", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").checkpoint() == 4);
        assertThat(parkedSeqs(relay, "per-key")).containsExactly(1L, 2L, 3L);

        // re-driven while the handler still fails on seq 1: the requests of 2 and 3 wait behind it
        assertThat(relay.deadLetters().redriveAll("per-key")).isEqualTo(3);
        await().atMost(TIMEOUT)
                .until(() -> relay.deadLetters().list("per-key").get(0).status() == DeadLetter.Status.PARKED
                        && relay.deadLetters().list("per-key").get(0).attempts() == 6); // 3 + the re-drive's 3
        await().during(Duration.ofSeconds(1))
                .atMost(TIMEOUT)
                .until(() -> delivered.seqs().equals(List.of(4L))
                        && relay.deadLetters().list("per-key").stream()
                                .skip(1)
                                .allMatch(d -> d.status() == DeadLetter.Status.REDRIVE_REQUESTED));
        assertThat(parkedSeqs(relay, "per-key")).containsExactly(1L, 2L, 3L);

        // fixed: asking for seq 1 again is enough, the others were asked for and follow it
        fixed.set(true);
        assertThat(relay.deadLetters().redrive("per-key", 1)).isTrue();
        delivered.awaitCount(4, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> relay.deadLetters().list("per-key").isEmpty());
        assertThat(delivered.seqs()).containsExactly(4L, 1L, 2L, 3L);
    }

    /** {@code next}, except that once {@code fixed}, a batch of key gate waits until released. */
    private static EventHandler gated(
            EventHandler next, AtomicBoolean fixed, CountDownLatch atTheGate, CountDownLatch release) {
        return batch -> {
            if (fixed.get() && batch.get(0).aggregateId().equals("gate")) {
                atTheGate.countDown();
                release.await();
            }
            next.handle(batch);
        };
    }

    @Test
    void shouldLetAKeyFlowAgainAfterOneReDriveThoughItsEventsKeptBeingParkedWhileItWasAskedFor() throws Exception {
        AtomicBoolean fixed = new AtomicBoolean();
        CountDownLatch atTheGate = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordingHandler delivered = new RecordingHandler();
        // a slow batch of another key, in flight while the re-drive is asked for
        EventHandler handler = gated(poisonSensitive(delivered, fixed), fixed, atTheGate, release);
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("per-key", handler)
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK_KEY)
                        .build()));
        appendCommitted(OutboxEvent.of("a", "Poison", "{}"), OutboxEvent.of("a", "Fine", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").parkedCount() == 2);

        fixed.set(true);
        appendCommitted(OutboxEvent.of("gate", "Fine", "{}"), OutboxEvent.of("a", "Fine", "{}"));
        assertThat(atTheGate.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(relay.deadLetters().redriveAll("per-key")).isEqualTo(2); // seq 4 is not parked yet
        release.countDown(); // the batch ends: seq 4 is parked behind key a, after the request

        // no second re-drive asked for: what was parked behind the key meanwhile follows it
        await().atMost(TIMEOUT).until(() -> relay.deadLetters().list("per-key").isEmpty());
        appendCommitted(OutboxEvent.of("a", "Fine", "{}"));
        delivered.awaitCount(5, TIMEOUT);
        assertThat(delivered.seqs()).containsExactly(3L, 1L, 2L, 4L, 5L);
        assertThat(relay.status("per-key").parkedCount()).isZero();
    }

    @Test
    void shouldReDriveAKeyInSeqOrderWhenItsFirstEventsWereAskedForBehindAFullWindow() throws Exception {
        AtomicBoolean fixed = new AtomicBoolean();
        CountDownLatch atTheGate = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordingHandler delivered = new RecordingHandler();
        // the re-drive of a full window of key gate, in flight
        EventHandler handler = gated(poisonSensitive(delivered, fixed), fixed, atTheGate, release);
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("per-key", handler)
                        .batchSize(2)
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK_KEY)
                        .build()));
        appendCommitted(
                OutboxEvent.of("a", "Poison", "{}"), // 1
                OutboxEvent.of("a", "Fine", "{}"), // 2, parked behind 1
                OutboxEvent.of("gate", "Poison", "{}"), // 3
                OutboxEvent.of("gate", "Fine", "{}"), // 4, parked behind 3
                OutboxEvent.of("a", "Fine", "{}")); // 5, parked behind 1
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").parkedCount() == 5);

        fixed.set(true);
        assertThat(relay.deadLetters().redrive("per-key", 4)).isTrue(); // waits for 3
        assertThat(relay.deadLetters().redrive("per-key", 3)).isTrue(); // a full window: 3, 4
        assertThat(atTheGate.await(60, TimeUnit.SECONDS)).isTrue();
        // asked for while the window of key gate is delivered: 1 and 2 lie before where it ended, 5 after
        assertThat(relay.deadLetters().redriveAll("per-key")).isEqualTo(3);
        release.countDown();

        await().atMost(TIMEOUT).until(() -> relay.deadLetters().list("per-key").isEmpty());
        assertThat(delivered.seqs()).containsExactly(3L, 4L, 1L, 2L, 5L);
    }

    @Test
    void shouldNotDeliverAnEventDiscardedWhileItsReDriveWasInFlight() throws Exception {
        AtomicBoolean fixed = new AtomicBoolean();
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordingHandler delivered = new RecordingHandler();
        EventHandler handler = batch -> {
            if (!fixed.get()) {
                throw new IllegalArgumentException("malformed");
            }
            if (batch.get(0).seq() == 1) {
                inHandler.countDown();
                release.await(); // a slow re-delivery of seq 1
            }
            delivered.handle(batch);
        };
        // batches of one: seq 2 is not claimed while seq 1 is being re-driven
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("parking", handler)
                        .batchSize(1)
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK)
                        .build()));
        appendCommitted(OutboxEvent.of("a", "E", "{}"), OutboxEvent.of("b", "E", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("parking").parkedCount() == 2);

        fixed.set(true);
        assertThat(relay.deadLetters().redriveAll("parking")).isEqualTo(2);
        assertThat(inHandler.await(60, TimeUnit.SECONDS)).isTrue();
        // seq 1 is in the handler now: it cannot be discarded; seq 2 still can
        assertThatThrownBy(() -> relay.deadLetters().discard("parking", 1, "too late"))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("seq 1 is being re-driven right now and cannot be discarded");
        assertThat(relay.deadLetters().discard("parking", 2, "the operator gave up on it"))
                .isTrue();
        release.countDown();

        await().atMost(TIMEOUT).until(() -> relay.status("parking").parkedCount() == 0);
        assertThat(delivered.seqs()).containsExactly(1L);
        assertThat(queryLong("SELECT COUNT(*) FROM " + table(tables.deadLetterTable()) + " WHERE " + column("seq")
                        + " = 2 AND " + column("status") + " = 'DISCARDED'"))
                .isEqualTo(1);
    }

    // --- status tells the truth after a restart ------------------------------------------------

    @Test
    void shouldClearTheBlockedStatusWhenAFixedHandlerTakesOver() throws Exception {
        EventHandler broken = batch -> {
            throw new IllegalArgumentException(
                    "cannot index seq " + batch.get(0).seq());
        };
        OutboxRelay first = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("search", broken)
                        .retryPolicy(FAST_RETRIES)
                        .build()));
        appendEach("k", 2);
        await().atMost(TIMEOUT).until(() -> first.status("search").state() == ConsumerStatus.State.BLOCKED);
        first.close();

        // the README's remedy: deploy a fixed handler
        RecordingHandler fixed = new RecordingHandler();
        OutboxRelay second = startRelay(
                "r2",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("search", fixed)
                        .retryPolicy(FAST_RETRIES)
                        .build()));
        fixed.awaitCount(2, TIMEOUT);

        await().atMost(TIMEOUT).until(() -> second.status("search").lastError() == null);
        ConsumerStatus status = second.status("search");
        assertThat(status.state()).isEqualTo(ConsumerStatus.State.RUNNING);
        assertThat(status.blockedAtSeq()).isNull();
        assertThat(status.lastErrorAt()).isNull();
        assertThat(status.owner()).isEqualTo("r2");
        assertThat(fixed.seqs()).containsExactly(1L, 2L);
    }

    @Test
    void shouldClearAFailureWhoseWriteCommittedThoughItsConnectionDiedBeforeTheAnswer() throws Exception {
        AtomicInteger handlerFailures = new AtomicInteger(1);
        RecordingHandler delivered = new RecordingHandler();
        EventHandler failingOnce = batch -> {
            if (handlerFailures.getAndDecrement() > 0) {
                throw new IllegalStateException(
                        "the index refused seq " + batch.get(0).seq());
            }
            delivered.handle(batch);
        };
        // the relay's first write of the failure commits, and then its connection dies (a killed
        // session, say): the relay never hears that the row shows the failure
        AtomicInteger lostAnswers = new AtomicInteger(1);
        ForwardingDataSource losingAnswer = new ForwardingDataSource(dataSource) {
            @Override
            public Connection getConnection() throws SQLException {
                return losingTheAnswerToFailureWrites(super.getConnection(), lostAnswers);
            }
        };
        OutboxRelay relay = track(OutboxRelay.builder(losingAnswer, dialect())
                        .tables(tables)
                        .options(fastOptions("r1").build())
                        .consumer(OutboxConsumer.atLeastOnce("search", failingOnce)
                                .retryPolicy(FAST_RETRIES)
                                .build())
                        .build())
                .start();
        appendEach("k", 1); // one event: its failure is recorded at once, not after a search for it

        delivered.awaitCount(1, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> relay.status("search").checkpoint() == 1);
        assertThat(lostAnswers.get()).as("a failure's write lost its answer").isZero();
        ConsumerStatus status = relay.status("search");
        assertThat(status.lastError())
                .as("the success after it cleared the failure")
                .isNull();
        assertThat(status.lastErrorAt()).isNull();
        assertThat(status.state()).isEqualTo(ConsumerStatus.State.RUNNING);
    }

    /**
     * A connection on which the writes of a consumer's failure state (the consumer updates that set
     * the last error without the checkpoint) run and then, while {@code lostAnswers} lasts, throw as
     * if the connection died before the server's answer arrived.
     */
    private Connection losingTheAnswerToFailureWrites(Connection connection, AtomicInteger lostAnswers) {
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    Object result = invoke(connection, method, args);
                    if (method.getName().equals("prepareStatement")
                            && args[0] instanceof String sql
                            && sql.toLowerCase(Locale.ROOT).startsWith("update")
                            && sql.contains(tables.consumerTable())
                            && sql.contains("last_error")
                            && !sql.contains("checkpoint_seq")) {
                        PreparedStatement statement = (PreparedStatement) result;
                        return Proxy.newProxyInstance(
                                PreparedStatement.class.getClassLoader(),
                                new Class<?>[] {PreparedStatement.class},
                                (statementProxy, statementMethod, statementArgs) -> {
                                    Object answer = invoke(statement, statementMethod, statementArgs);
                                    if (statementMethod.getName().equals("executeUpdate")
                                            && lostAnswers.getAndDecrement() > 0) {
                                        throw new SQLTransientConnectionException(
                                                "connection reset before the answer (simulated)", "08006");
                                    }
                                    return answer;
                                });
                    }
                    return result;
                });
    }

    /** Calls {@code method} on {@code target}, throwing what it threw, not a reflection wrapper. */
    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    // --- the writer does not report a committed transaction as failed ---------------------------

    @Test
    void shouldReportACommittedTransactionAsCommittedWhenTheConnectionFailsAfterTheCommit() throws Exception {
        RecordingHandler delivered = new RecordingHandler();
        // polls a minute apart: only the writer's wake-up delivers promptly
        track(OutboxRelay.builder(dataSource, dialect())
                        .tables(tables)
                        .options(fastOptions("r1")
                                .pollFloor(Duration.ofSeconds(60))
                                .pollCeiling(Duration.ofSeconds(60))
                                .leaseDuration(Duration.ofMinutes(10))
                                .build())
                        .atLeastOnce("search", delivered)
                        .build())
                .start();
        ForwardingDataSource failingAfterCommit = new ForwardingDataSource(dataSource) {
            @Override
            public Connection getConnection() throws SQLException {
                return failingAfterCommit(super.getConnection());
            }
        };
        // let the relay's loops settle into their minute-long waits
        Thread.sleep(1000);

        String result = writer.inTransaction(failingAfterCommit, tx -> {
            tx.append(OutboxEvent.of("k", "E", "{}"));
            return "done";
        });

        assertThat(result).isEqualTo("done");
        delivered.awaitCount(1, Duration.ofSeconds(30));
        assertThat(queryLong("SELECT COUNT(*) FROM " + table(tables.logTable())))
                .isEqualTo(1);
    }

    /** A connection whose {@code setAutoCommit(true)} and {@code close()} throw (after doing their work). */
    private static Connection failingAfterCommit(Connection connection) {
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    Object result = invoke(connection, method, args);
                    if (method.getName().equals("close")
                            || (method.getName().equals("setAutoCommit") && Boolean.TRUE.equals(args[0]))) {
                        throw new SQLException("connection reset after the commit (simulated)", "08006");
                    }
                    return result;
                });
    }

    // --- a handler slower than the lease --------------------------------------------------------

    @Test
    void shouldKeepTheLeaseOfAnAtLeastOnceHandlerThatRunsLongerThanIt() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        RecordingHandler delivered = new RecordingHandler();
        AtomicBoolean slow = new AtomicBoolean(true);
        EventHandler slowOnce = batch -> {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                if (slow.getAndSet(false)) {
                    TimeUnit.MILLISECONDS.sleep(6_000); // three leases of these tests
                }
                delivered.handle(batch);
            } finally {
                inFlight.decrementAndGet();
            }
        };
        OutboxRelay a = startRelay("relay-a", relay -> relay.atLeastOnce("search", slowOnce));
        await().atMost(TIMEOUT).until(() -> a.ownsConsumer("search"));
        OutboxRelay b = startRelay("relay-b", relay -> relay.atLeastOnce("search", slowOnce));
        appendEach("k", 3);

        delivered.awaitCount(3, TIMEOUT);
        appendEach("k", 2);
        delivered.awaitCount(5, TIMEOUT);

        assertThat(mostInFlight.get()).isEqualTo(1);
        assertThat(delivered.duplicateSeqs()).isEmpty();
        assertThat(delivered.seqs()).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(a.ownsConsumer("search")).isTrue();
        assertThat(b.ownsConsumer("search")).isFalse();
    }

    // --- a downstream that is down is waited out, not counted --------------------------------------

    @Test
    void shouldWaitForADownstreamWhoseConnectionFailsWithBackOffWithoutCountingOrParking() throws Exception {
        AtomicBoolean down = new AtomicBoolean(true);
        List<Long> calls = new CopyOnWriteArrayList<>();
        RecordingHandler delivered = new RecordingHandler();
        EventHandler handler = batch -> {
            calls.add(System.nanoTime());
            if (down.get()) {
                throw new SQLException("connection refused by the search cluster", "08001");
            }
            delivered.handle(batch);
        };
        // one counted failure would park the event at once
        RetryPolicy oneAttempt = new RetryPolicy(Duration.ofMillis(20), Duration.ofMillis(200), 0, 1);
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("search", handler)
                        .retryPolicy(oneAttempt)
                        .failurePolicy(FailurePolicy.PARK)
                        .build()));
        appendEach("k", 1);

        await().atMost(TIMEOUT).until(() -> calls.size() >= 6);
        ConsumerStatus waiting = relay.status("search");
        assertThat(waiting.state()).isEqualTo(ConsumerStatus.State.WAITING_FOR_DOWNSTREAM);
        assertThat(waiting.waitingSince()).isNotNull();
        assertThat(waiting.lastError()).contains("connection refused by the search cluster");
        assertThat(waiting.parkedCount()).isZero();
        // 20, 40, 80, 160, 200 ms apart: the back-off grows to its cap
        assertThat(Duration.ofNanos(calls.get(5) - calls.get(4))).isGreaterThanOrEqualTo(Duration.ofMillis(150));

        down.set(false);
        delivered.awaitCount(1, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> relay.status("search").state() == ConsumerStatus.State.RUNNING);
        ConsumerStatus recovered = relay.status("search");
        assertThat(recovered.waitingSince()).isNull();
        assertThat(recovered.lastError()).isNull();
        assertThat(recovered.parkedCount()).isZero();
        assertThat(delivered.seqs()).containsExactly(1L);
    }

    @Test
    void shouldWaitOutADownstreamUnavailableExceptionAfterSavingWhatATransactionalHandlerReportedDone()
            throws Exception {
        String applied = table("applied_ledger");
        execute("CREATE TABLE " + applied + " (" + column("seq") + " BIGINT NOT NULL)");
        AtomicBoolean down = new AtomicBoolean(true);
        AtomicInteger calls = new AtomicInteger();
        TransactionalEventHandler handler = (batch, connection) -> {
            calls.incrementAndGet();
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i).aggregateId().equals("remote") && down.get()) {
                    throw new PartialSuccessException(i, new DownstreamUnavailableException("the ledger is down"));
                }
                insertApplied(connection, applied, batch.get(i).seq());
            }
        };
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.transactional("ledger", handler)
                        .retryPolicy(new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(50), 0, 1))
                        .failurePolicy(FailurePolicy.PARK)
                        .build()));
        appendCommitted(
                OutboxEvent.of("local", "E", "{}"),
                OutboxEvent.of("local", "E", "{}"),
                OutboxEvent.of("remote", "E", "{}"),
                OutboxEvent.of("local", "E", "{}"));

        // the two events before the failing one are committed on their own
        await().atMost(TIMEOUT).until(() -> relay.status("ledger").checkpoint() == 2);
        await().atMost(TIMEOUT)
                .until(() -> relay.status("ledger").state() == ConsumerStatus.State.WAITING_FOR_DOWNSTREAM);
        assertThat(relay.status("ledger").lastError()).contains("the ledger is down");
        int callsWhileDown = calls.get();
        await().atMost(TIMEOUT).until(() -> calls.get() >= callsWhileDown + 3);
        assertThat(relay.status("ledger").parkedCount()).isZero();

        down.set(false);
        await().atMost(TIMEOUT).until(() -> relay.status("ledger").checkpoint() == 4);
        await().atMost(TIMEOUT)
                .until(() -> relay.status("ledger").state() == ConsumerStatus.State.RUNNING
                        && relay.status("ledger").lastError() == null);
        assertThat(queryLongs("SELECT " + column("seq") + " FROM " + applied + " ORDER BY " + column("seq")))
                .containsExactly(1L, 2L, 3L, 4L);
    }

    // --- partial success: what was done is not done again ------------------------------------------

    @Test
    void shouldSaveWhatAnAtLeastOnceHandlerReportedDoneAndRetryOnlyTheEventThatFailed() throws Exception {
        List<Long> sent = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        EventHandler handler = batch -> {
            calls.incrementAndGet();
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i).eventType().equals("Poison")) {
                    throw new PartialSuccessException(i, new IllegalArgumentException("rejected"));
                }
                sent.add(batch.get(i).seq()); // an external call that cannot be undone
            }
        };
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("mailer", handler)
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK)
                        .build()));
        List<OutboxEvent> events = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            events.add(OutboxEvent.of("k" + i, i == 6 ? "Poison" : "Fine", "{}"));
        }
        appendCommitted(events.toArray(OutboxEvent[]::new));

        await().atMost(TIMEOUT).until(() -> relay.status("mailer").checkpoint() == 10);
        assertThat(sent).containsExactly(1L, 2L, 3L, 4L, 5L, 7L, 8L, 9L, 10L); // nothing sent twice
        assertThat(parkedSeqs(relay, "mailer")).containsExactly(6L);
        assertThat(relay.deadLetters().list("mailer").get(0).attempts()).isEqualTo(3);
        // the batch, the failing event alone twice more, then the rest: no bisection
        assertThat(calls.get()).isEqualTo(4);
    }

    // --- consumers no relay registers ---------------------------------------------------------------

    @Test
    void shouldListConsumerRowsNoRelayRegistersAndDeleteThemSoThatRetentionMovesOn() throws Exception {
        RecordingHandler search = new RecordingHandler();
        OutboxRelay old = startRelay(
                "old",
                builder -> builder.atLeastOnce("search", search)
                        .consumer(OutboxConsumer.atLeastOnce("retired", batch -> {
                                    throw new IllegalStateException("always");
                                })
                                .retryPolicy(FAST_RETRIES)
                                .failurePolicy(FailurePolicy.PARK)
                                .build()));
        appendEach("k", 3);
        await().atMost(TIMEOUT).until(() -> old.status("retired").checkpoint() == 3 && search.count() == 3);
        old.close();

        OutboxRelay relay = track(OutboxRelay.builder(dataSource, dialect())
                        .tables(tables)
                        .options(fastOptions("new")
                                .logRetention(Duration.ofMillis(1))
                                .retentionInterval(Duration.ofMillis(50))
                                .build())
                        .atLeastOnce("search", search)
                        .build())
                .start();
        appendEach("k", 3);
        search.awaitCount(6, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> relay.status("search").checkpoint() == 6);

        List<ConsumerStatus> statuses = relay.status();
        assertThat(statuses).extracting(ConsumerStatus::name).containsExactly("search", "retired");
        assertThat(statuses.get(0).registeredHere()).isTrue();
        ConsumerStatus retired = statuses.get(1);
        assertThat(retired.registeredHere()).isFalse();
        assertThat(retired.state()).isEqualTo(ConsumerStatus.State.STOPPED);
        assertThat(retired.checkpoint()).isEqualTo(3);
        assertThat(retired.lagEvents()).isEqualTo(3);
        assertThat(retired.parkedCount()).isEqualTo(3);
        // its checkpoint holds retention back: 4..6 stay
        await().atMost(TIMEOUT).until(() -> log().stream().allMatch(e -> e.seq() > 3));
        assertThat(log()).extracting(LogEntry::seq).containsExactly(4L, 5L, 6L);

        assertThatThrownBy(() -> relay.deleteConsumer("search"))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("registered on this relay");
        assertThat(relay.deleteConsumer("retired")).isTrue();

        assertThat(relay.status()).extracting(ConsumerStatus::name).containsExactly("search");
        assertThat(relay.deadLetters().list("retired")).isEmpty();
        assertThat(queryLong("SELECT COUNT(*) FROM " + table(tables.deadLetterTable())))
                .isZero();
        await().atMost(TIMEOUT).until(() -> log().isEmpty());
        assertThat(relay.deleteConsumer("retired")).isFalse();
    }

    @Test
    void shouldRefuseToDeleteAConsumerThatAnotherRelayRuns() {
        OutboxRelay runner = startRelay("runner", builder -> builder.atLeastOnce("search", new RecordingHandler()));
        await().atMost(TIMEOUT).until(() -> runner.ownsConsumer("search"));
        OutboxRelay admin =
                track(OutboxRelay.builder(dataSource, dialect()).tables(tables).build());

        assertThatThrownBy(() -> admin.deleteConsumer("search"))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("consumer 'search' is running in relay 'runner'");
        assertThat(runner.status("search").owner()).isEqualTo("runner");
    }

    // --- a relay started while the database was down -----------------------------------------------

    @Test
    void shouldCheckTheSchemaOnceTheDatabaseAnswersWhenTheRelayStartedWhileItWasDown() throws Exception {
        TestSchema fresh = database().createSchema("unmigrated");
        try {
            OutboxTables freshTables = fresh.tables();
            AtomicBoolean reachable = new AtomicBoolean();
            ForwardingDataSource flaky = new ForwardingDataSource(fresh.dataSource()) {
                @Override
                public Connection getConnection() throws SQLException {
                    if (!reachable.get()) {
                        throw new SQLTransientConnectionException("connection refused (simulated)", "08001");
                    }
                    return super.getConnection();
                }
            };
            RecordingHandler delivered = new RecordingHandler();
            OutboxRelay relay = track(OutboxRelay.builder(flaky, dialect())
                            .tables(freshTables)
                            .options(fastOptions("r1").build())
                            .atLeastOnce("search", delivered)
                            .build())
                    .start(); // returns: the database may come back

            await().atMost(TIMEOUT).until(() -> !relay.problems().isEmpty());
            reachable.set(true);
            // the tables are missing: reported as such, with what to do, not as a lost connection
            await().atMost(TIMEOUT)
                    .until(() -> !relay.problems().isEmpty()
                            && relay.problems().stream()
                                    .allMatch(p -> p.description().contains("OutboxSchemaException")));
            assertThat(relay.problems())
                    .anySatisfy(p -> assertThat(p.description()).contains("OutboxMigrations.migrate"));

            migrate(fresh.dataSource(), freshTables);
            OutboxWriter freshWriter =
                    OutboxWriter.builder(dialect()).tables(freshTables).build();
            freshWriter.inTransaction(fresh.dataSource(), tx -> {
                tx.append(OutboxEvent.of("k", "E", "{}"));
                return null;
            });
            delivered.awaitCount(1, TIMEOUT);
            await().atMost(TIMEOUT).until(() -> relay.problems().isEmpty());
            relay.close();
        } finally {
            fresh.close();
        }
    }

    // --- two relays with one relayId ----------------------------------------------------------------

    @Test
    void shouldRefuseASecondRelayWithTheSameIdOnTheSameDataSourceInThisJvm() {
        startRelay("same", builder -> builder.atLeastOnce("search", new RecordingHandler()));

        assertThatThrownBy(() -> startRelay("same", builder -> builder.atLeastOnce("search", new RecordingHandler())))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("another relay with this relayId is already running");
    }

    @Test
    void shouldNotFightOverLeasesWithARelayOfTheSameIdElsewhereAndReportIt() throws Exception {
        RecordingHandler byA = new RecordingHandler();
        RecordingHandler byB = new RecordingHandler();
        OutboxRelay a = startRelay("same", builder -> builder.atLeastOnce("search", byA));
        await().atMost(TIMEOUT).until(() -> a.isSequencing() && a.ownsConsumer("search"));
        long epoch = consumerEpoch("search");
        // another process with the same relayId: a relay on another data source (a wrapper
        // around the same pool: its sessions are other sessions all the same)
        DataSource otherProcess = new ForwardingDataSource(dataSource) {};
        OutboxRelay b = track(OutboxRelay.builder(otherProcess, dialect())
                        .tables(tables)
                        .options(fastOptions("same").build())
                        .atLeastOnce("search", byB)
                        .build())
                .start();
        appendEach("k", 3);
        byA.awaitCount(3, TIMEOUT);

        await().atMost(TIMEOUT)
                .until(() -> b.problems().stream()
                        .anyMatch(p -> p.description().contains("another relay runs with relayId 'same'")));
        assertThat(consumerEpoch("search")).isEqualTo(epoch);
        assertThat(b.isSequencing() || b.ownsConsumer("search")).isFalse();
        assertThat(byB.count()).isZero();

        a.close(); // the first one stops: the other takes over at once and the report ends
        await().atMost(TIMEOUT).until(() -> b.ownsConsumer("search"));
        appendEach("k", 1);
        byB.awaitCount(1, TIMEOUT);
        assertThat(byB.seqs()).containsExactly(4L);
        assertThat(b.problems()).isEmpty();
        b.close();
    }

    private long consumerEpoch(String consumer) throws SQLException {
        return queryLong(
                "SELECT " + column("epoch") + " FROM " + table(tables.consumerTable()) + " WHERE " + column("name")
                        + " = ?",
                consumer);
    }
}
