package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.EventHandler;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.PartialSuccessException;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import dev.outbox.testkit.ForwardingDataSource;
import dev.outbox.testkit.RecordingHandler;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Consumers that read ahead ({@link OutboxConsumer.Builder#readAhead}): the next batch is read on
 * another thread while the handler works on a full one, and used only when the next delivery asks
 * for exactly that batch. A failed or partly processed batch, or a key parked meanwhile, drops it:
 * the events still come once each in seq order, and a parked key's later events never reach the
 * handler.
 */
public abstract class ReadAheadConformanceTest extends ConformanceTestBase {

    private static final RetryPolicy FAST_RETRIES = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(50), 0, 3);

    /** The data source of the tests' relays, noting which threads borrowed a connection. */
    private static final class BorrowingThreads extends ForwardingDataSource {
        final Set<String> names = ConcurrentHashMap.newKeySet();

        BorrowingThreads(javax.sql.DataSource delegate) {
            super(delegate);
        }

        @Override
        public Connection getConnection() throws SQLException {
            names.add(Thread.currentThread().getName());
            return super.getConnection();
        }

        boolean readAhead() {
            return names.stream().anyMatch(name -> name.startsWith("outbox-read-ahead"));
        }
    }

    private BorrowingThreads borrowing;

    /** A relay on a data source that notes the borrowing threads, with one consumer reading ahead. */
    private OutboxRelay start(OutboxConsumer.Builder consumer) {
        borrowing = new BorrowingThreads(dataSource);
        OutboxRelay relay = OutboxRelay.builder(borrowing, dialect())
                .tables(tables)
                .options(fastOptions("r1").build())
                .consumer(consumer.startFrom(StartPosition.BEGINNING)
                        .batchSize(10)
                        .readAhead(true)
                        .build())
                .build();
        return track(relay).start();
    }

    private void appendInOneTransaction(int count) {
        appendCommitted(IntStream.range(0, count)
                .mapToObj(i -> OutboxEvent.of("k" + (i % 3), "Happened", "{\"n\":" + i + "}"))
                .toArray(OutboxEvent[]::new));
    }

    private static List<Long> oneTo(long last) {
        return LongStream.rangeClosed(1, last).boxed().toList();
    }

    @Test
    void shouldReadTheNextBatchWhileTheHandlerWorksOnAFullOne() throws Exception {
        appendInOneTransaction(30);
        CountDownLatch release = new CountDownLatch(1);
        RecordingHandler recorder = new RecordingHandler();
        start(OutboxConsumer.atLeastOnce("ahead", batch -> {
            release.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            recorder.handle(batch);
        }));

        // the handler holds the first batch: the second is read meanwhile, on the read-ahead thread
        await().atMost(TIMEOUT).until(borrowing::readAhead);
        assertThat(recorder.seqs()).isEmpty();
        release.countDown();

        recorder.awaitCount(30, TIMEOUT);
        assertThat(recorder.seqs()).isEqualTo(oneTo(30));
    }

    @Test
    void shouldDropTheBatchReadAheadWhenTheHandlerFailsAndDeliverAgainInOrder() throws Exception {
        assertInOrderOnceEachAfterAFirstCallThatFails(0);
    }

    @Test
    void shouldDropTheBatchReadAheadWhenTheHandlerProcessedPartOfItAndGoOnAfterThatPart() throws Exception {
        assertInOrderOnceEachAfterAFirstCallThatFails(4);
    }

    /**
     * The first call processes {@code processed} events of its batch, waits while the next batch is
     * read ahead, then fails: nothing of the batch read ahead may come before the rest of its own.
     */
    private void assertInOrderOnceEachAfterAFirstCallThatFails(int processed) throws Exception {
        appendInOneTransaction(30);
        RecordingHandler recorder = new RecordingHandler();
        AtomicBoolean failed = new AtomicBoolean();
        start(OutboxConsumer.atLeastOnce("ahead", batch -> {
                    if (!failed.getAndSet(true)) {
                        recorder.handle(batch.subList(0, processed));
                        Thread.sleep(300); // the next batch is read meanwhile
                        IllegalStateException down = new IllegalStateException("the index is down");
                        throw processed == 0 ? down : new PartialSuccessException(processed, down);
                    }
                    recorder.handle(batch);
                })
                .retryPolicy(FAST_RETRIES));

        recorder.awaitCount(30, TIMEOUT);
        assertThat(borrowing.readAhead()).isTrue();
        assertThat(recorder.seqs()).isEqualTo(oneTo(30));
    }

    @Test
    void shouldNeverHandAParkedKeysLaterEventsReadAheadBeforeTheKeyWasParked() throws Exception {
        // seq 3k + 1: key a, 3k + 2: key b (seq 2 is poison), 3k + 3: key c
        appendCommitted(IntStream.range(0, 30)
                .mapToObj(i -> OutboxEvent.of(
                        List.of("a", "b", "c").get(i % 3), i == 1 ? "Poison" : "Fine", "{\"n\":" + i + "}"))
                .toArray(OutboxEvent[]::new));
        RecordingHandler recorder = new RecordingHandler();
        EventHandler poison = poisonSensitive(recorder, new AtomicBoolean());
        OutboxRelay relay = start(OutboxConsumer.atLeastOnce("ahead", batch -> {
                    Thread.sleep(20); // each next batch is read meanwhile
                    poison.handle(batch);
                })
                .retryPolicy(FAST_RETRIES)
                .failurePolicy(FailurePolicy.PARK_KEY));

        await().atMost(TIMEOUT).until(() -> relay.status("ahead").checkpoint() == 30);
        assertThat(borrowing.readAhead()).isTrue();
        assertThat(recorder.records()).noneMatch(r -> r.aggregateId().equals("b"));
        assertThat(recorder.seqs())
                .isEqualTo(oneTo(30).stream().filter(seq -> seq % 3 != 2).toList());
        assertThat(relay.deadLetters().list("ahead"))
                .extracting(d -> d.record().seq())
                .isEqualTo(oneTo(30).stream().filter(seq -> seq % 3 == 2).toList());
    }

    @Test
    void shouldRefuseReadAheadForATransactionalConsumer() {
        assertThatThrownBy(() -> OutboxConsumer.transactional("tx", (batch, connection) -> {})
                        .readAhead(true)
                        .build())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("readAhead is for at-least-once consumers")
                .hasMessageContaining("remove readAhead(true)");
    }

    @Test
    void shouldNotReadAheadUnlessAsked() throws Exception {
        appendInOneTransaction(30);
        RecordingHandler recorder = new RecordingHandler();
        borrowing = new BorrowingThreads(dataSource);
        track(OutboxRelay.builder(borrowing, dialect())
                        .tables(tables)
                        .options(fastOptions("r1").build())
                        .consumer(OutboxConsumer.atLeastOnce("plain", batch -> {
                                    Thread.sleep(20);
                                    recorder.handle(batch);
                                })
                                .startFrom(StartPosition.BEGINNING)
                                .batchSize(10)
                                .build())
                        .build())
                .start();

        recorder.awaitCount(30, TIMEOUT);
        assertThat(recorder.seqs()).isEqualTo(oneTo(30));
        assertThat(borrowing.readAhead()).isFalse();
        assertThat(OutboxConsumer.atLeastOnce("x", recorder).build().readsAhead())
                .isFalse();
    }
}
