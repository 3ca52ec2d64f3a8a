package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayOptions;
import dev.outbox.testkit.RecordingHandler;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Wake-ups instead of polls. The relay here never polls on its own (floor = ceiling = 1 hour), so
 * each delivery proves that a wake-up reached it.
 */
public abstract class WakeUpConformanceTest extends ConformanceTestBase {

    /** A relay that only moves when woken: polls are an hour apart. */
    protected OutboxRelay startNonPollingRelay(
            String relayId, String consumer, RecordingHandler handler, boolean listen) {
        RelayOptions options = fastOptions(relayId)
                .pollFloor(Duration.ofHours(1))
                .pollCeiling(Duration.ofHours(1))
                .leaseDuration(Duration.ofHours(1))
                .listenForNotifications(listen)
                .build();
        return track(OutboxRelay.builder(dataSource, dialect())
                        .tables(tables)
                        .options(options)
                        .atLeastOnce(consumer, handler)
                        .build())
                .start();
    }

    @Test
    void shouldWakeTheRelayInThisJvmWhenTheWrapperCommits() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        OutboxRelay relay = startNonPollingRelay("r1", "recorder", handler, false);
        await().atMost(TIMEOUT).until(() -> relay.ownsConsumer("recorder"));

        for (int i = 1; i <= 3; i++) {
            appendCommitted(OutboxEvent.of("k", "E" + i, "{}"));
            handler.awaitCount(i, TIMEOUT);
        }

        assertThat(handler.seqs()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void shouldDeliverEventsOfOtherWritersWhenWokenExplicitly() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        OutboxRelay relay = startNonPollingRelay("r1", "recorder", handler, false);
        await().atMost(TIMEOUT).until(() -> relay.ownsConsumer("recorder"));

        try (var connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            writer.append(connection, OutboxEvent.of("k", "FromPlainJdbc", "{}"));
            connection.commit();
        }
        relay.wakeUp();

        assertThat(handler.awaitCount(1, TIMEOUT).records().get(0).eventType()).isEqualTo("FromPlainJdbc");
    }
}
