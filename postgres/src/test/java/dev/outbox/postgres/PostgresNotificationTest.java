package dev.outbox.postgres;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxWriter;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.conformance.ConformanceFixture;
import dev.outbox.testkit.conformance.WakeUpConformanceTest;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/**
 * LISTEN/NOTIFY: relays that never poll are woken by notifications from a writer (relay A, to
 * sequence) and from the sequencing relay (relay B, to consume). With the wake-up suite, which it
 * builds on.
 */
@ConformanceFixture(PostgresFixture.class)
class PostgresNotificationTest extends WakeUpConformanceTest {

    @Test
    void shouldWakeRelaysThroughNotifications() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        // relay A sequences, relay B runs the consumer; neither ever polls
        OutboxRelay a = startNonPollingRelay("relay-a", "other", new RecordingHandler(), true);
        await().atMost(TIMEOUT).until(a::isSequencing);
        OutboxRelay b = startNonPollingRelay("relay-b", "recorder", handler, true);
        await().atMost(TIMEOUT).until(() -> b.ownsConsumer("recorder"));
        assertThat(b.isSequencing()).isFalse();
        OutboxWriter notifying = OutboxWriter.builder(dialect())
                .tables(tables)
                .notifyRelays(true)
                .build();

        for (int i = 1; i <= 3; i++) {
            // a plain JDBC transaction: no in-JVM wake-up, only NOTIFY can wake the relay
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                notifying.append(connection, OutboxEvent.of("k", "E" + i, "{}"));
                connection.commit();
            }
            handler.awaitCount(i, TIMEOUT);
        }

        assertThat(handler.seqs()).containsExactly(1L, 2L, 3L);
    }
}
