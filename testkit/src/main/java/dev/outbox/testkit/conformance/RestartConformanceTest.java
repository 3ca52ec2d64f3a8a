package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import dev.outbox.testkit.RecordingHandler;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Checkpoints survive relays: restart, exactly-once through handler failures, replay. */
public abstract class RestartConformanceTest extends ConformanceTestBase {

    @Test
    void shouldResumeFromTheCheckpointsWhenARelayIsClosedMidStream() throws Exception {
        RecordingHandler first = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("search", first)
                        .batchSize(10)
                        .build()));
        List<UUID> ids = appendEach("k", 200);
        first.awaitCount(50, TIMEOUT);
        relay.close(); // mid-stream: the in-flight batch finishes and saves its checkpoint
        int deliveredBefore = first.count();
        ids.addAll(appendEach("k", 200));

        RecordingHandler second = new RecordingHandler();
        startRelay(
                "r2",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("search", second)
                        .batchSize(10)
                        .build()));
        second.awaitCount(400 - deliveredBefore, TIMEOUT);

        assertThat(second.seqs().get(0)).isEqualTo(deliveredBefore + 1);
        List<Long> all = new ArrayList<>(first.seqs());
        all.addAll(second.seqs());
        assertThat(all)
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, 400).boxed().toList());
        assertThat(log()).extracting(LogEntry::eventId).containsExactlyElementsOf(ids);
    }

    @Test
    void shouldApplyEachEventExactlyOnceWhenATransactionalHandlerThrowsAfterItsWrites() throws Exception {
        String applied = table("applied_event");
        execute("CREATE TABLE " + applied + " (" + column("seq") + " BIGINT NOT NULL, " + column("event_id")
                + " VARCHAR(36) NOT NULL)");
        Set<Long> failedOnce = ConcurrentHashMap.newKeySet();
        AtomicInteger failures = new AtomicInteger();
        startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.transactional("read-model", (batch, connection) -> {
                            for (OutboxRecord record : batch) {
                                try (PreparedStatement insert =
                                        connection.prepareStatement("INSERT INTO " + applied + " VALUES (?, ?)")) {
                                    insert.setLong(1, record.seq());
                                    insert.setString(2, record.eventId().toString());
                                    insert.executeUpdate();
                                }
                                // every 7th event fails once, after the batch's earlier writes were made
                                if (record.seq() % 7 == 0 && failedOnce.add(record.seq())) {
                                    failures.incrementAndGet();
                                    throw new IllegalStateException("search cluster timed out at seq " + record.seq());
                                }
                            }
                        })
                        .batchSize(5)
                        .retryPolicy(RetryPolicy.of(Duration.ofMillis(1), Duration.ofMillis(10), 100))
                        .build()));

        appendEach("k", 100);
        await().atMost(TIMEOUT).until(() -> checkpoint("read-model") == 100);

        assertThat(failures.get()).isEqualTo(14);
        assertThat(queryLongs("SELECT " + column("seq") + " FROM " + applied + " ORDER BY " + column("seq")))
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, 100).boxed().toList());
        assertThat(queryLong("SELECT COUNT(DISTINCT " + column("event_id") + ") FROM " + applied))
                .isEqualTo(100);
    }

    @Test
    void shouldReplayFromAGivenSeqAfterAReset() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        OutboxRelay relay = startRelay("r1", builder -> builder.atLeastOnce("search", handler));
        appendEach("k", 20);
        handler.awaitCount(20, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> checkpoint("search") == 20);

        relay.resetConsumer("search", 15);
        handler.awaitCount(26, TIMEOUT);

        assertThat(handler.seqs().subList(20, 26)).containsExactly(15L, 16L, 17L, 18L, 19L, 20L);
        await().atMost(TIMEOUT).until(() -> checkpoint("search") == 20);
    }

    @Test
    void shouldStartANewConsumerAtTheHeadUnlessAskedForTheBeginning() throws Exception {
        RecordingHandler early = new RecordingHandler();
        startRelay("r1", builder -> builder.atLeastOnce("early", early));
        appendEach("k", 10);
        early.awaitCount(10, TIMEOUT);

        RecordingHandler late = new RecordingHandler();
        RecordingHandler fromBeginning = new RecordingHandler();
        startRelay(
                "r2",
                builder -> builder.atLeastOnce("late", late)
                        .consumer(OutboxConsumer.atLeastOnce("from-beginning", fromBeginning)
                                .startFrom(StartPosition.BEGINNING)
                                .build()));
        appendEach("k", 3);
        late.awaitCount(3, TIMEOUT);
        fromBeginning.awaitCount(13, TIMEOUT);

        assertThat(late.seqs()).containsExactly(11L, 12L, 13L);
        assertThat(fromBeginning.seqs())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 13).boxed().toList());
    }

    private long checkpoint(String consumer) throws Exception {
        List<Long> values = queryLongs(
                "SELECT " + column("checkpoint_seq") + " FROM " + table(tables.consumerTable()) + " WHERE "
                        + column("name") + " = ?",
                consumer);
        return values.isEmpty() ? -1 : values.get(0);
    }
}
