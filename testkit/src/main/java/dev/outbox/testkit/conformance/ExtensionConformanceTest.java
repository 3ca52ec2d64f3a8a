package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.DeadLetter;
import dev.outbox.EventHandler;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.junit.OutboxExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The JUnit 5 extension users test their own handlers with ({@link OutboxExtension}): a relay per
 * test; {@code awaitConsumed} returns once every event committed before it is handled, fails at
 * once for a blocked consumer and says where a slow one is stuck; {@code drainNow}, the recording
 * consumer, the dead letters. Each test uses keys of its own: the consumers' rows, and so their
 * checkpoints, carry over from test to test, as they would in a user's suite.
 */
public abstract class ExtensionConformanceTest extends ConformanceTestBase {

    private static final RetryPolicy ONE_ATTEMPT = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(50), 0, 1);

    private final RecordingHandler search = new RecordingHandler();
    private final RecordingHandler slow = new RecordingHandler();
    private final AtomicBoolean poisonFixed = new AtomicBoolean(true);
    private final AtomicReference<CountDownLatch> slowGate = new AtomicReference<>(new CountDownLatch(0));

    @RegisterExtension
    final OutboxExtension outbox = OutboxExtension.on(() -> dataSource, dialect())
            .tables(() -> tables)
            .consumer(OutboxConsumer.atLeastOnce("search", poisonSensitive(search, poisonFixed))
                    .startFrom(StartPosition.BEGINNING)
                    .retryPolicy(ONE_ATTEMPT)
                    .failurePolicy(FailurePolicy.BLOCK)
                    .build())
            .consumer(OutboxConsumer.atLeastOnce("parking", parkPoison())
                    .startFrom(StartPosition.BEGINNING)
                    .retryPolicy(ONE_ATTEMPT)
                    .failurePolicy(FailurePolicy.PARK)
                    .build())
            .consumer(OutboxConsumer.atLeastOnce("slow", batch -> {
                        slowGate.get().await(60, TimeUnit.SECONDS);
                        slow.handle(batch);
                    })
                    .startFrom(StartPosition.BEGINNING)
                    .build())
            .recording("audit");

    /** The relay of each test starts on what the previous tests left: the outbox is not emptied. */
    @Override
    void emptyOutbox() {}

    private static EventHandler parkPoison() {
        return batch -> {
            for (OutboxRecord record : batch) {
                if (record.eventType().equals("Poison")) {
                    throw new IllegalArgumentException("cannot handle event " + record.seq());
                }
            }
        };
    }

    @Test
    void shouldReturnFromAwaitConsumedOnceEveryEventCommittedBeforeIsHandled() {
        List<OutboxEvent> events = IntStream.range(0, 50)
                .mapToObj(i -> OutboxEvent.of("order", "await-" + (i % 5), "Placed", "{\"n\":" + i + "}"))
                .toList();
        // the slow consumer is held until 300 ms after the events are committed: the wait must last
        CountDownLatch gate = new CountDownLatch(1);
        slowGate.set(gate);
        events.forEach(this::appendCommitted);
        Thread opener = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            gate.countDown();
        });
        opener.start();

        outbox.awaitConsumed("slow");
        assertThat(slow.eventIds())
                .containsAll(events.stream().map(OutboxEvent::eventId).toList());
        outbox.awaitConsumed("audit");

        assertThat(outbox.recorded("audit").eventIds())
                .containsAll(events.stream().map(OutboxEvent::eventId).toList());
        outbox.drainNow();
        assertThat(search.eventIds())
                .containsAll(events.stream().map(OutboxEvent::eventId).toList());
    }

    @Test
    void shouldFailAtOnceSayingWhereWhenTheConsumerIsBlocked() {
        poisonFixed.set(false);
        try {
            appendCommitted(OutboxEvent.of("order", "blocked", "Poison", "{}"));
            long started = System.nanoTime();
            assertThatThrownBy(() -> outbox.awaitConsumed("search", Duration.ofSeconds(30)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageMatching("consumer 'search' is BLOCKED at seq \\d+ \\(its failure policy is BLOCK\\):"
                            + " .*cannot index event.*");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
        } finally {
            poisonFixed.set(true);
        }
        // it retries the blocked event every maxBackoff: once delivered, it is no longer blocked
        await().atMost(TIMEOUT).until(() -> outbox.relay().status("search").blockedAtSeq() == null);
        outbox.awaitConsumed("search");
    }

    @Test
    void shouldSayWhereASlowConsumerIsWhenTheWaitTimesOut() {
        CountDownLatch gate = new CountDownLatch(1);
        slowGate.set(gate);
        try {
            appendCommitted(OutboxEvent.of("order", "slow", "Placed", "{}"));
            assertThatThrownBy(() -> outbox.awaitConsumed("slow", Duration.ofMillis(500)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageMatching("consumer 'slow' did not reach seq \\d+ within PT0\\.5S: it is at seq \\d+,"
                            + " RUNNING.*");
        } finally {
            gate.countDown();
        }
        outbox.awaitConsumed("slow");
    }

    @Test
    void shouldListTheDeadLettersOfAConsumer() {
        OutboxEvent poison = OutboxEvent.of("order", "parked", "Poison", "{}");
        appendCommitted(poison);
        outbox.awaitConsumed("parking");

        List<DeadLetter> letters = outbox.deadLetters("parking");
        assertThat(letters).extracting(letter -> letter.record().eventId()).contains(poison.eventId());
    }

    @Test
    void shouldRefuseAConsumerItDoesNotRun() {
        assertThatThrownBy(() -> outbox.awaitConsumed("nobody"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no consumer 'nobody' is registered");
        assertThatThrownBy(() -> outbox.recorded("search"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("register one with .recording(\"search\")");
    }

    /**
     * Attached to a relay the application runs (as in a Spring Boot test), the extension waits on
     * that relay's consumers, reads its recording consumer, and leaves the relay running.
     */
    @Test
    void shouldWaitOnTheApplicationsRelayWhenAttachedToIt() {
        RecordingHandler applications = new RecordingHandler();
        OutboxRelay application = startRelay(
                "application",
                relay -> relay.consumer(OutboxConsumer.atLeastOnce("application-recorded", applications)
                        .startFrom(StartPosition.BEGINNING)
                        .build()));
        OutboxExtension attached = OutboxExtension.attachedTo(() -> application);
        attached.beforeEach(null); // as JUnit calls it before a test

        OutboxEvent placed = OutboxEvent.of("order", "attached", "Placed", "{}");
        appendCommitted(placed);
        attached.awaitConsumed("application-recorded");

        assertThat(attached.relay()).isSameAs(application);
        assertThat(attached.recorded("application-recorded").eventIds()).contains(placed.eventId());
        assertThatThrownBy(() -> attached.recording("mine"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("attached to the application's relay");
        attached.afterEach(null);
        assertThat(application.health().isUp())
                .as("the application's relay keeps running")
                .isTrue();
    }
}
