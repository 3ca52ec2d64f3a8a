package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayOptions;
import dev.outbox.testkit.RecordingHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Log retention: bounded tables under steady load, event-store mode, lagging consumers. */
public abstract class RetentionConformanceTest extends ConformanceTestBase {

    private OutboxRelay startRelay(
            String relayId, Consumer<RelayOptions.Builder> options, Consumer<OutboxRelay.Builder> consumers) {
        RelayOptions.Builder builder = fastOptions(relayId);
        options.accept(builder);
        OutboxRelay.Builder relay =
                OutboxRelay.builder(dataSource, dialect()).tables(tables).options(builder.build());
        consumers.accept(relay);
        return track(relay.build()).start();
    }

    private long logSize() throws Exception {
        return queryLong("SELECT COUNT(*) FROM " + table(tables.logTable()));
    }

    @Test
    void shouldKeepQueueAndLogSmallUnderSteadyLoad() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay(
                "r1",
                options -> options.logRetention(Duration.ofMillis(300)).retentionInterval(Duration.ofMillis(50)),
                relay -> relay.atLeastOnce("search", handler));

        List<Long> logSizes = new ArrayList<>();
        List<Long> queueSizes = new ArrayList<>();
        int appended = 0;
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        long nextSample = 0;
        while (System.nanoTime() < end) { // about 300 events per second
            appendCommitted(
                    OutboxEvent.of("k" + appended % 10, "E", "{}"),
                    OutboxEvent.of("k", "E", "{}"),
                    OutboxEvent.of("j", "E", "{}"));
            appended += 3;
            Thread.sleep(10);
            if (System.nanoTime() > nextSample) {
                logSizes.add(logSize());
                queueSizes.add(queueSize());
                nextSample = System.nanoTime() + Duration.ofMillis(250).toNanos();
            }
        }
        handler.awaitCount(appended, TIMEOUT);

        List<Long> secondHalf = logSizes.subList(logSizes.size() / 2, logSizes.size());
        long largestLog = secondHalf.stream().mapToLong(Long::longValue).max().orElseThrow();
        long largestQueue = queueSizes.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertThat(appended).isGreaterThan(600);
        // levelled off: the log holds about retention x rate, not everything appended
        assertThat(largestLog)
                .as("log sizes %s of %s appended", logSizes, appended)
                .isLessThan(appended / 3);
        assertThat(largestQueue).as("queue sizes %s", queueSizes).isLessThan(appended / 3);
        await().atMost(TIMEOUT).until(() -> logSize() < 300);
    }

    @Test
    void shouldDeleteNothingInEventStoreMode() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay(
                "r1",
                options -> options.keepLogForever().retentionInterval(Duration.ofMillis(20)),
                relay -> relay.atLeastOnce("search", handler));
        appendEach("k", 50);
        handler.awaitCount(50, TIMEOUT);

        await().during(Duration.ofMillis(700)).atMost(TIMEOUT).until(() -> logSize() == 50);
        assertGapFreeFromOne(log().stream().map(LogEntry::seq).toList());
    }

    @Test
    void shouldNotDeleteWhatALaggingConsumerHasNotPassed() throws Exception {
        CountDownLatch slowMayGo = new CountDownLatch(1);
        RecordingHandler fast = new RecordingHandler();
        RecordingHandler slow = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "r1",
                options -> options.logRetention(Duration.ofMillis(1)).retentionInterval(Duration.ofMillis(20)),
                consumers -> consumers.atLeastOnce("fast", fast).atLeastOnce("slow", batch -> {
                    slowMayGo.await();
                    slow.handle(batch);
                }));
        appendEach("k", 40);
        fast.awaitCount(40, TIMEOUT);

        // the slow consumer is stuck before seq 1: nothing may go
        await().during(Duration.ofMillis(500)).atMost(TIMEOUT).until(() -> logSize() == 40);
        assertThat(relay.status("slow").lagEvents()).isEqualTo(40);

        slowMayGo.countDown();
        slow.awaitCount(40, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> logSize() == 0);
        // a consumer registered now starts at the oldest retained entry, after the deleted ones
        RecordingHandler late = new RecordingHandler();
        startRelay("r2", options -> {}, consumers -> consumers.atLeastOnce("late", late));
        appendEach("k", 1);
        late.awaitCount(1, TIMEOUT);
        assertThat(late.seqs()).containsExactly(41L);
    }
}
