package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.ConsumerStatus;
import dev.outbox.DeadLetter;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.RetryPolicy;
import dev.outbox.testkit.MutableClock;
import dev.outbox.testkit.RecordingHandler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Retries, the failure policies, dead letters and the status that reports them. */
public abstract class FailurePolicyConformanceTest extends ConformanceTestBase {

    private static final RetryPolicy FAST_RETRIES = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(20), 0, 3);

    @Test
    void shouldBlockTheOrderedConsumerAndParkForTheOtherAtAPoisonEventThenRecoverBoth() throws Exception {
        AtomicBoolean fixed = new AtomicBoolean();
        RecordingHandler ordered = new RecordingHandler();
        RecordingHandler parking = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("ordered", poisonSensitive(ordered, fixed))
                                .retryPolicy(FAST_RETRIES)
                                .failurePolicy(FailurePolicy.BLOCK)
                                .build())
                        .consumer(OutboxConsumer.atLeastOnce("parking", poisonSensitive(parking, fixed))
                                .retryPolicy(FAST_RETRIES)
                                .failurePolicy(FailurePolicy.PARK)
                                .build()));

        List<OutboxEvent> events = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            events.add(OutboxEvent.of("key-" + (i % 3), i == 8 ? "Poison" : "Fine", "{\"i\":" + i + "}"));
        }
        appendCommitted(events.toArray(OutboxEvent[]::new));

        // the parking consumer delivers everything but the poison event
        parking.awaitCount(19, TIMEOUT);
        assertThat(parking.seqs()).doesNotContain(8L).hasSize(19);
        await().atMost(TIMEOUT).until(() -> relay.status("parking").parkedCount() == 1);
        DeadLetter parked = relay.deadLetters().list("parking").get(0);
        assertThat(parked.record().seq()).isEqualTo(8);
        assertThat(parked.record().eventType()).isEqualTo("Poison");
        assertThat(parked.errorClass()).isEqualTo(IllegalArgumentException.class.getName());
        assertThat(parked.errorMessage()).isEqualTo("cannot index event 8: malformed payload");
        assertThat(parked.stackHead()).contains("IllegalArgumentException").contains("\tat ");
        assertThat(parked.attempts()).isEqualTo(3);
        assertThat(parked.lastFailedAt()).isAfterOrEqualTo(parked.firstFailedAt());
        assertThat(parked.status()).isEqualTo(DeadLetter.Status.PARKED);

        // the ordered consumer stops at it, reports it, and never skips it
        await().atMost(TIMEOUT).until(() -> relay.status("ordered").state() == ConsumerStatus.State.BLOCKED);
        ConsumerStatus blocked = relay.status("ordered");
        assertThat(blocked.blockedAtSeq()).isEqualTo(8);
        assertThat(blocked.checkpoint()).isEqualTo(7);
        assertThat(blocked.lagEvents()).isEqualTo(13);
        assertThat(blocked.lag()).isPositive();
        assertThat(blocked.lastError()).contains("IllegalArgumentException").contains("cannot index event 8");
        assertThat(blocked.lastErrorAt()).isNotNull();
        assertThat(ordered.seqs())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 7).boxed().toList());

        // the handler is fixed: the blocked consumer resumes in order; a re-drive delivers the parked event once
        fixed.set(true);
        ordered.awaitCount(20, TIMEOUT);
        assertThat(ordered.seqs())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 20).boxed().toList());
        assertThat(relay.deadLetters().redrive("parking", 8)).isTrue();
        parking.awaitCount(20, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> relay.status("parking").parkedCount() == 0);
        assertThat(parking.seqs().get(19)).isEqualTo(8);
        assertThat(parking.duplicateSeqs()).isEmpty();
        assertThat(relay.deadLetters().list("parking")).isEmpty();
        await().atMost(TIMEOUT).until(() -> relay.status("ordered").state() == ConsumerStatus.State.RUNNING);
        ConsumerStatus recovered = relay.status("ordered");
        assertThat(recovered.lastError()).isNull();
        assertThat(recovered.blockedAtSeq()).isNull();
        assertThat(recovered.lagEvents()).isZero();
        assertThat(recovered.owner()).isEqualTo("r1");
    }

    @Test
    void shouldParkAFailingKeyWithItsLaterEventsWhileOtherKeysFlowAndRestoreItsOrderOnRedrive() throws Exception {
        AtomicBoolean fixed = new AtomicBoolean();
        RecordingHandler handler = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("per-key", poisonSensitive(handler, fixed))
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK_KEY)
                        .build()));

        // seq: 1 a, 2 b, 3 a (poison), 4 b, 5 a, 6 b, 7 a
        appendCommitted(
                OutboxEvent.of("a", "Fine", "{}"),
                OutboxEvent.of("b", "Fine", "{}"),
                OutboxEvent.of("a", "Poison", "{}"),
                OutboxEvent.of("b", "Fine", "{}"),
                OutboxEvent.of("a", "Fine", "{}"),
                OutboxEvent.of("b", "Fine", "{}"),
                OutboxEvent.of("a", "Fine", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").checkpoint() == 7);

        assertThat(handler.seqs()).containsExactly(1L, 2L, 4L, 6L);
        List<DeadLetter> parked = relay.deadLetters().list("per-key");
        assertThat(parked).extracting(d -> d.record().seq()).containsExactly(3L, 5L, 7L);
        assertThat(parked.get(0).attempts()).isEqualTo(3);
        assertThat(parked.get(1).attempts()).isZero();
        assertThat(parked.get(1).errorMessage()).contains("parked behind");

        // key a stays parked for later events too, while b flows
        appendCommitted(OutboxEvent.of("a", "Fine", "{}"), OutboxEvent.of("b", "Fine", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").checkpoint() == 9);
        assertThat(handler.seqs()).containsExactly(1L, 2L, 4L, 6L, 9L);

        fixed.set(true);
        assertThat(relay.deadLetters().redriveAll("per-key")).isEqualTo(4);
        handler.awaitCount(9, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> relay.deadLetters().list("per-key").isEmpty());
        assertThat(handler.records().stream()
                        .filter(r -> r.aggregateId().equals("a"))
                        .map(OutboxRecord::seq))
                .containsExactly(1L, 3L, 5L, 7L, 8L);

        // the key flows again
        appendCommitted(OutboxEvent.of("a", "Fine", "{}"));
        handler.awaitCount(10, TIMEOUT);
        assertThat(handler.seqs().get(9)).isEqualTo(10);
    }

    @Test
    void shouldDiscardAParkedEventWithAReason() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(
                        OutboxConsumer.atLeastOnce("per-key", poisonSensitive(handler, new AtomicBoolean()))
                                .retryPolicy(FAST_RETRIES)
                                .failurePolicy(FailurePolicy.PARK_KEY)
                                .build()));
        appendCommitted(OutboxEvent.of("a", "Poison", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").parkedCount() == 1);

        assertThat(relay.deadLetters().discard("per-key", 1, "malformed at the source, fixed by hand"))
                .isTrue();
        await().atMost(TIMEOUT).until(() -> relay.status("per-key").parkedCount() == 0);
        appendCommitted(OutboxEvent.of("a", "Fine", "{}"));

        // discarding unparks the key
        handler.awaitCount(1, TIMEOUT);
        assertThat(handler.seqs()).containsExactly(2L);
        assertThat(relay.deadLetters().list("per-key")).isEmpty();
        assertThat(queryLong("SELECT COUNT(*) FROM " + table(tables.deadLetterTable()) + " WHERE "
                        + column("status") + " = 'DISCARDED' AND " + column("discard_reason")
                        + " = 'malformed at the source, fixed by hand'"))
                .isEqualTo(1);
    }

    @Test
    void shouldRetryOnTheScheduleOfTheInjectedClockWithoutSpinning() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        ConsumerThreadClock relayClock = new ConsumerThreadClock(clock, "outbox-consumer-flaky");
        List<Instant> attempts = new CopyOnWriteArrayList<>();
        List<Integer> readsAtAttempt = new CopyOnWriteArrayList<>();
        RetryPolicy retry = new RetryPolicy(Duration.ofSeconds(10), Duration.ofSeconds(40), 0, 5);
        OutboxRelay relay = track(OutboxRelay.builder(dataSource, dialect())
                        .tables(tables)
                        .options(fastOptions("r1").clock(relayClock).build())
                        .consumer(OutboxConsumer.atLeastOnce("flaky", batch -> {
                                    readsAtAttempt.add(relayClock.reads());
                                    attempts.add(clock.instant());
                                    throw new IllegalStateException("downstream unavailable");
                                })
                                .retryPolicy(retry)
                                .build())
                        .build())
                .start();
        appendCommitted(OutboxEvent.of("k", "E", "{}"));
        await().atMost(TIMEOUT).until(() -> attempts.size() == 1);

        // 10 s, 20 s, 40 s, 40 s (capped), then blocked: every 40 s
        long[] waits = {10, 20, 40, 40, 40, 40};
        for (int i = 0; i < waits.length; i++) {
            int before = attempts.size();
            // the clock moves only once the relay scheduled the retry (it reads the clock when the
            // handler failed, and again to wait): else the schedule would start later
            relayClock.awaitReads(readsAtAttempt.get(before - 1) + 2, TIMEOUT);
            clock.advance(Duration.ofSeconds(waits[i] - 1));
            // a second short of the schedule: no attempt, however long we (really) wait
            assertNoAttemptFor(attempts, before, Duration.ofMillis(600));
            clock.advance(Duration.ofSeconds(1));
            await().atMost(TIMEOUT).until(() -> attempts.size() == before + 1);
        }

        Instant start = attempts.get(0);
        assertThat(attempts)
                .extracting(at -> Duration.between(start, at).toSeconds())
                .containsExactly(0L, 10L, 30L, 70L, 110L, 150L, 190L);
        await().atMost(TIMEOUT).until(() -> relay.status("flaky").state() == ConsumerStatus.State.BLOCKED);
        assertThat(relay.status("flaky").blockedAtSeq()).isEqualTo(1);
    }

    /** A clock that counts how often one thread read it. */
    private static final class ConsumerThreadClock extends Clock {

        private final Clock clock;
        private final String threadName;
        private final AtomicInteger reads = new AtomicInteger();

        ConsumerThreadClock(Clock clock, String threadName) {
            this.clock = clock;
            this.threadName = threadName;
        }

        @Override
        public Instant instant() {
            if (Thread.currentThread().getName().equals(threadName)) {
                reads.incrementAndGet();
            }
            return clock.instant();
        }

        int reads() {
            return reads.get();
        }

        /** Waits until the thread read the clock {@code count} times in all. */
        void awaitReads(int count, Duration timeout) {
            await("the relay's consumer thread reading the clock")
                    .atMost(timeout)
                    .until(() -> reads.get() >= count);
        }

        @Override
        public ZoneId getZone() {
            return clock.getZone();
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    private static void assertNoAttemptFor(List<Instant> attempts, int expected, Duration duration)
            throws InterruptedException {
        long deadline = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(attempts).hasSize(expected);
            Thread.sleep(20);
        }
    }

    @Test
    void shouldDeliverEachEventExactlyOnceToATransactionalConsumerThatParks() throws Exception {
        String applied = table("applied_event");
        execute("CREATE TABLE " + applied + " (" + column("seq") + " BIGINT NOT NULL)");
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.transactional("read-model", (batch, connection) -> {
                            for (OutboxRecord record : batch) {
                                try (var insert =
                                        connection.prepareStatement("INSERT INTO " + applied + " VALUES (?)")) {
                                    insert.setLong(1, record.seq());
                                    insert.executeUpdate();
                                }
                                if (record.eventType().equals("Poison")) {
                                    throw new IllegalStateException("constraint violated by seq " + record.seq());
                                }
                            }
                        })
                        .batchSize(10)
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK)
                        .build()));
        List<OutboxEvent> events = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            events.add(OutboxEvent.of("k" + i, i % 10 == 5 ? "Poison" : "Fine", "{}"));
        }
        appendCommitted(events.toArray(OutboxEvent[]::new));

        await().atMost(TIMEOUT).until(() -> relay.status("read-model").checkpoint() == 30);

        // the poison events' writes were rolled back with them; every other event applied once
        assertThat(queryLongs("SELECT " + column("seq") + " FROM " + applied + " ORDER BY " + column("seq")))
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 30)
                        .filter(seq -> seq % 10 != 5)
                        .boxed()
                        .toList());
        assertThat(relay.deadLetters().list("read-model"))
                .extracting(d -> d.record().seq())
                .containsExactly(5L, 15L, 25L);
    }
}
