package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.ConsumerStatus;
import dev.outbox.FailurePolicy;
import dev.outbox.KeyPartitioner;
import dev.outbox.Lease;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.RetryPolicy;
import dev.outbox.SessionHandler;
import dev.outbox.StartPosition;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Session handlers ({@link SessionHandler}): a session per lease, opened before the lease's first
 * delivery and closed when the lease ends (the relay closes, the consumer is reset); the lease as
 * the session is told of it (epoch, checkpoint, reset generation, partition); a session that cannot
 * be opened waited out as an unavailable downstream; a re-drive's dead letters handed to {@code
 * redeliver}.
 */
public abstract class SessionConformanceTest extends ConformanceTestBase {

    private static final RetryPolicy FAST_RETRIES = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(50), 0, 1);

    /** A call a session got, in the order the sessions got them. */
    private record Call(String what, Lease lease, List<OutboxRecord> records) {}

    /** Opens sessions that record every call; fails to open while {@code refuseOpen} is set. */
    private static final class RecordingSessions implements SessionHandler {
        final List<Call> calls = new CopyOnWriteArrayList<>();
        final AtomicBoolean refuseOpen = new AtomicBoolean();
        final AtomicBoolean poisonFixed = new AtomicBoolean(true);

        @Override
        public Session open(Lease lease) {
            if (refuseOpen.get()) {
                throw new IllegalStateException("the broker is unreachable");
            }
            calls.add(new Call("open", lease, List.of()));
            return new Session() {
                @Override
                public void handle(List<OutboxRecord> batch) {
                    for (OutboxRecord record : batch) {
                        if (record.eventType().equals("Poison") && !poisonFixed.get()) {
                            throw new IllegalArgumentException("cannot publish event " + record.seq());
                        }
                    }
                    calls.add(new Call("handle", lease, List.copyOf(batch)));
                }

                @Override
                public void redeliver(List<OutboxRecord> deadLetters) {
                    calls.add(new Call("redeliver", lease, List.copyOf(deadLetters)));
                }

                @Override
                public void close() {
                    calls.add(new Call("close", lease, List.of()));
                }
            };
        }

        List<Call> named(String what) {
            return calls.stream().filter(call -> call.what().equals(what)).toList();
        }

        List<Long> handledSeqs() {
            return named("handle").stream()
                    .flatMap(call -> call.records().stream())
                    .map(OutboxRecord::seq)
                    .toList();
        }
    }

    private OutboxRelay startWith(String relayId, RecordingSessions sessions, int partitions) {
        return startRelay(
                relayId,
                builder -> builder.consumer(OutboxConsumer.withSessions("publisher", sessions)
                        .startFrom(StartPosition.BEGINNING)
                        .retryPolicy(FAST_RETRIES)
                        .failurePolicy(FailurePolicy.PARK)
                        .partitions(partitions)
                        .build()));
    }

    @Test
    void shouldOpenASessionForTheLeaseAndCloseItWhenTheRelayCloses() {
        RecordingSessions sessions = new RecordingSessions();
        OutboxRelay first = startWith("r1", sessions, 1);
        appendEach("k", 5);
        await().atMost(TIMEOUT).until(() -> sessions.handledSeqs().size() == 5);

        assertThat(sessions.named("open")).hasSize(1);
        Lease lease = sessions.named("open").get(0).lease();
        assertThat(lease.tables()).isEqualTo(tables);
        assertThat(lease.consumer()).isEqualTo("publisher");
        assertThat(lease.partition()).isZero();
        assertThat(lease.partitions()).isEqualTo(1);
        assertThat(lease.relayId()).isEqualTo("r1");
        assertThat(lease.epoch()).isPositive();
        assertThat(lease.checkpoint()).isZero();
        assertThat(lease.resetGeneration()).isZero();

        first.close();
        assertThat(sessions.calls.get(sessions.calls.size() - 1).what()).isEqualTo("close");
        assertThat(sessions.named("close")).hasSize(1);

        startWith("r2", sessions, 1);
        appendEach("k", 3);
        await().atMost(TIMEOUT).until(() -> sessions.handledSeqs().size() == 8);
        Lease next = sessions.named("open").get(1).lease();
        assertThat(next.relayId()).isEqualTo("r2");
        assertThat(next.epoch()).isGreaterThan(lease.epoch());
        assertThat(next.checkpoint()).isEqualTo(5);
        assertThat(next.resetGeneration()).isZero();
        assertThat(sessions.handledSeqs())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 8).boxed().toList());
    }

    @Test
    void shouldEndTheSessionOnAResetAndTellTheNextOneTheResetGeneration() {
        RecordingSessions sessions = new RecordingSessions();
        OutboxRelay relay = startWith("r1", sessions, 1);
        appendEach("k", 5);
        await().atMost(TIMEOUT).until(() -> sessions.handledSeqs().size() == 5);

        relay.resetConsumer("publisher", 2);
        await().atMost(TIMEOUT).until(() -> sessions.handledSeqs().size() == 9);

        assertThat(sessions.calls).extracting(Call::what).containsSubsequence("open", "handle", "close", "open");
        assertThat(sessions.named("close")).hasSize(1);
        Lease replay = sessions.named("open").get(1).lease();
        assertThat(replay.checkpoint()).isEqualTo(1);
        assertThat(replay.resetGeneration()).isEqualTo(1);
        assertThat(sessions.handledSeqs().subList(5, 9)).containsExactly(2L, 3L, 4L, 5L);
        // each delivery went to the session of the lease it was read under
        for (Call call : sessions.named("handle")) {
            assertThat(call.records().get(0).seq()).isGreaterThan(call.lease().checkpoint());
        }
    }

    @Test
    void shouldWaitOutASessionThatCannotBeOpenedAsAnUnavailableDownstream() {
        RecordingSessions sessions = new RecordingSessions();
        sessions.refuseOpen.set(true);
        OutboxRelay relay = startWith("r1", sessions, 1);
        appendEach("k", 4);

        await().atMost(TIMEOUT)
                .until(() -> relay.status("publisher").state() == ConsumerStatus.State.WAITING_FOR_DOWNSTREAM);
        ConsumerStatus waiting = relay.status("publisher");
        assertThat(waiting.lastError()).contains("could not be opened").contains("the broker is unreachable");
        assertThat(waiting.waitingSince()).isNotNull();

        sessions.refuseOpen.set(false);
        await().atMost(TIMEOUT).until(() -> sessions.handledSeqs().size() == 4);
        // never counted against the events: nothing parked, although one attempt is all they get
        assertThat(relay.deadLetters().list("publisher")).isEmpty();
        await().atMost(TIMEOUT)
                .until(() -> relay.status("publisher").state() == ConsumerStatus.State.RUNNING
                        && relay.status("publisher").lastError() == null);
        assertThat(sessions.named("open")).hasSize(1);
    }

    @Test
    void shouldHandAReDrivesDeadLettersToTheSessionsRedeliver() {
        RecordingSessions sessions = new RecordingSessions();
        sessions.poisonFixed.set(false);
        OutboxRelay relay = startWith("r1", sessions, 1);
        appendCommitted(
                OutboxEvent.of("a", "Fine", "{}"),
                OutboxEvent.of("a", "Poison", "{}"),
                OutboxEvent.of("b", "Fine", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("publisher").parkedCount() == 1);
        await().atMost(TIMEOUT).until(() -> sessions.handledSeqs().size() == 2);

        sessions.poisonFixed.set(true);
        assertThat(relay.deadLetters().redrive("publisher", 2)).isTrue();
        await().atMost(TIMEOUT).until(() -> sessions.named("redeliver").size() == 1);

        Call redelivery = sessions.named("redeliver").get(0);
        assertThat(redelivery.records()).extracting(OutboxRecord::seq).containsExactly(2L);
        assertThat(sessions.handledSeqs()).containsExactly(1L, 3L);
        await().atMost(TIMEOUT).until(() -> relay.status("publisher").parkedCount() == 0);
    }

    @Test
    void shouldOpenASessionPerPartitionThatGetsOnlyItsPartitionsKeys() {
        RecordingSessions sessions = new RecordingSessions();
        startWith("r1", sessions, 4);
        for (int i = 0; i < 60; i++) {
            appendCommitted(OutboxEvent.of("key-" + (i % 12), "Fine", "{}"));
        }
        await().atMost(TIMEOUT).until(() -> sessions.handledSeqs().size() == 60);

        assertThat(sessions.named("open"))
                .extracting(call -> call.lease().partition())
                .containsExactlyInAnyOrder(0, 1, 2, 3);
        for (Call call : sessions.named("handle")) {
            assertThat(call.lease().partitions()).isEqualTo(4);
            for (OutboxRecord record : call.records()) {
                assertThat(KeyPartitioner.partitionOf(record.aggregateId(), 4))
                        .as(
                                "seq %d in the session of partition %d",
                                record.seq(), call.lease().partition())
                        .isEqualTo(call.lease().partition());
            }
        }
    }
}
