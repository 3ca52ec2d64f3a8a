package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.EventHandler;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxLog;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayHealth;
import dev.outbox.RelayListener;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import dev.outbox.TransactionalEventHandler;
import dev.outbox.testkit.RecordingHandler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * What an operator sees of a relay: the listeners told of every batch delivered and sequenced and of
 * every failed delivery with the relay's reaction; the MDC keys around handler calls, gone once the
 * handler returned or threw; the log and the queue as {@link OutboxRelay#log()} reads them; the
 * health (DOWN when not running or when sequencing stalls, a blocked consumer only a warning); the
 * writer's header source. Needs an SLF4J binding with an MDC (logback, say) on the test class path.
 */
public abstract class ObservabilityConformanceTest extends ConformanceTestBase {

    private static final RetryPolicy ONE_ATTEMPT = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(50), 0, 1);

    /** What the listener was told, and the MDC of the thread it was told on. */
    private record Told(String what, String consumer, int events, String reaction, Map<String, String> mdc) {}

    private static final class Telling implements RelayListener {
        final List<Told> told = new CopyOnWriteArrayList<>();

        @Override
        public void delivered(String consumer, int partition, int events, Duration took) {
            told.add(new Told("delivered", consumer, events, "", mdc()));
        }

        @Override
        public void failed(String consumer, int partition, Throwable cause, Reaction reaction) {
            told.add(new Told("failed", consumer, 0, reaction.name(), mdc()));
        }

        @Override
        public void sequenced(int events, Duration took) {
            told.add(new Told("sequenced", "", events, "", mdc()));
        }

        int events(String what, String consumer) {
            return told.stream()
                    .filter(t -> t.what().equals(what) && t.consumer().equals(consumer))
                    .mapToInt(Told::events)
                    .sum();
        }

        List<Told> named(String what) {
            return told.stream().filter(t -> t.what().equals(what)).toList();
        }
    }

    private static Map<String, String> mdc() {
        Map<String, String> copy = MDC.getCopyOfContextMap();
        return copy == null ? Map.of() : new HashMap<>(copy);
    }

    @Test
    void shouldTellListenersOfEveryBatchAndFailureAndSurviveOneThatThrows() {
        Telling telling = new Telling();
        AtomicBoolean fixed = new AtomicBoolean(false);
        RecordingHandler search = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("search", poisonSensitive(search, fixed))
                        .retryPolicy(ONE_ATTEMPT)
                        .failurePolicy(FailurePolicy.PARK)
                        .build()));
        relay.addListener(new RelayListener() {
            @Override
            public void delivered(String consumer, int partition, int events, Duration took) {
                throw new IllegalStateException("a listener's bug");
            }
        });
        relay.addListener(telling);

        appendEach("k", 10);
        // the poison shares its transaction with the next event, so the batch that fails always holds
        // more than the poison (read alone, it would be parked at once, without a RETRY)
        appendCommitted(
                OutboxEvent.of("test", "k", "Poison", "{}"), OutboxEvent.of("test", "k", "Happened", "{\"n\":0}"));
        appendEach("k", 4);

        // the parked event moves the checkpoint too, as a PARK, not as a delivered batch
        await().atMost(TIMEOUT).until(() -> search.count() == 15 && telling.events("delivered", "search") == 15);
        assertThat(telling.events("sequenced", "")).isEqualTo(16);
        assertThat(telling.named("failed"))
                .allSatisfy(told -> assertThat(told.consumer()).isEqualTo("search"));
        // a batch that failed without saying where is narrowed down (RETRY) until the event is parked
        assertThat(telling.named("failed"))
                .extracting(Told::reaction)
                .containsOnly("RETRY", "PARK")
                .endsWith("PARK")
                .filteredOn("PARK"::equals)
                .hasSize(1);
        assertThat(telling.named("delivered"))
                .allSatisfy(told -> assertThat(told.consumer()).isEqualTo("search"));
    }

    @Test
    void shouldNameTheBatchInTheMdcWhileTheHandlerRunsAndRemoveItAfterItReturnsOrThrows() {
        Telling telling = new Telling();
        List<Map<String, String>> seenBySearch = new CopyOnWriteArrayList<>();
        List<Map<String, String>> seenByReadModel = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        EventHandler search = batch -> {
            seenBySearch.add(mdc());
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("the index is not ready");
            }
        };
        TransactionalEventHandler readModel = (batch, connection) -> seenByReadModel.add(mdc());
        OutboxRelay relay = startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("search", search)
                                .retryPolicy(new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(50), 0, 3))
                                .build())
                        .consumer(OutboxConsumer.transactional("read-model", readModel)
                                .build()));
        relay.addListener(telling);
        OutboxEvent only = OutboxEvent.of("test", "k", "Happened", "{}");
        appendCommitted(only);

        await().atMost(TIMEOUT)
                .until(() ->
                        telling.events("delivered", "search") == 1 && telling.events("delivered", "read-model") == 1);

        Map<String, String> first = seenBySearch.get(0);
        assertThat(first)
                .containsEntry("outbox.consumer", "search")
                .containsEntry("outbox.relay", "r1")
                .containsEntry("outbox.seq", "1")
                .containsEntry("outbox.eventId", only.eventId().toString());
        assertThat(seenBySearch).hasSize(2); // the failed call and its retry
        assertThat(seenByReadModel.get(0))
                .containsEntry("outbox.consumer", "read-model")
                .containsEntry("outbox.seq", "1");
        // told on the same thread right after the handler returned or threw: the batch's keys are gone
        assertThat(telling.told)
                .filteredOn(t -> !t.what().equals("sequenced"))
                .isNotEmpty()
                .allSatisfy(told -> {
                    assertThat(told.mdc()).doesNotContainKeys("outbox.seq", "outbox.eventId");
                    assertThat(told.mdc()).containsEntry("outbox.consumer", told.consumer());
                });
        assertThat(telling.named("failed")).extracting(Told::reaction).containsExactly("RETRY");

        // a batch of several events (sequenced in one batch: one transaction) names its seq range
        appendCommitted(
                OutboxEvent.of("test", "k", "Happened", "{}"),
                OutboxEvent.of("test", "k", "Happened", "{}"),
                OutboxEvent.of("test", "k", "Happened", "{}"));
        await().atMost(TIMEOUT).until(() -> telling.events("delivered", "read-model") == 4);
        assertThat(seenByReadModel).hasSize(2);
        assertThat(seenByReadModel.get(1)).containsEntry("outbox.seq", "2..4").doesNotContainKey("outbox.eventId");
    }

    @Test
    void shouldReadTheLogAndTheQueueForToolsWhetherOrNotTheRelayRuns() throws Exception {
        OutboxRelay idle = track(OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(fastOptions("idle").build())
                .build());
        OutboxLog log = idle.log();
        assertThat(log.head()).isZero();
        assertThat(log.lowestRetained()).isEqualTo(1);
        Instant before = Instant.now().minusSeconds(60);

        List<UUID> ids = appendEach("k", 5);
        OutboxLog.Queue waiting = log.queue(100);
        assertThat(waiting.waiting()).isEqualTo(5);
        assertThat(waiting.countCapped()).isFalse();
        assertThat(waiting.oldest()).isNotNull();
        assertThat(waiting.sinceLastSequenced()).isNull();
        OutboxLog.Queue capped = log.queue(2);
        assertThat(capped.waiting()).isEqualTo(2);
        assertThat(capped.countCapped()).isTrue();

        startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("search", batch -> {})
                        .startFrom(StartPosition.BEGINNING)
                        .build()));
        await().atMost(TIMEOUT).until(() -> log.head() == 5);
        OutboxLog.Queue drained = log.queue(100);
        assertThat(drained.waiting()).isZero();
        assertThat(drained.oldest()).isNull();
        assertThat(drained.sinceLastSequenced()).isNotNull();

        List<OutboxRecord> read = log.read(2, 3);
        assertThat(read).extracting(OutboxRecord::seq).containsExactly(2L, 3L, 4L);
        assertThat(read).extracting(OutboxRecord::eventId).containsExactlyElementsOf(ids.subList(1, 4));
        assertThat(log.entry(5)).get().extracting(OutboxRecord::eventId).isEqualTo(ids.get(4));
        assertThat(log.entry(6)).isEmpty();
        assertThat(log.firstSeqSequencedAtOrAfter(before)).isEqualTo(1);
        assertThat(log.firstSeqSequencedAtOrAfter(Instant.now().plusSeconds(3600)))
                .isEqualTo(6);
    }

    @Test
    void shouldBeDownOnlyWhenNotRunningOrWhenSequencingStallsAndWarnOfABlockedConsumer() throws Exception {
        RelayHealth.Thresholds quick = new RelayHealth.Thresholds(Duration.ofSeconds(1), Duration.ofMinutes(5));
        OutboxRelay relay = track(OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(fastOptions("r1").build())
                .consumer(OutboxConsumer.atLeastOnce(
                                "search", poisonSensitive(new RecordingHandler(), new AtomicBoolean()))
                        .retryPolicy(ONE_ATTEMPT)
                        .failurePolicy(FailurePolicy.BLOCK)
                        .build())
                .build());
        RelayHealth notStarted = relay.health(quick);
        assertThat(notStarted.status()).isEqualTo(RelayHealth.Status.DOWN);
        assertThat(notStarted.reasons()).singleElement().asString().contains("not running");

        relay.start();
        appendEach("k", 3);
        appendCommitted(OutboxEvent.of("test", "k", "Poison", "{}"));
        await().atMost(TIMEOUT).until(() -> relay.status("search").blockedAtSeq() != null);
        RelayHealth blocked = relay.health(quick);
        assertThat(blocked.status()).as("%s", blocked).isEqualTo(RelayHealth.Status.UP);
        assertThat(blocked.warnings())
                .anySatisfy(warning -> assertThat(warning).contains("'search' is BLOCKED at seq 4"));
        assertThat(blocked.details()).containsKeys("relayId", "sequencing", "queued", "consumers");

        // another session holds the sequencer's row lock: nothing is sequenced while events wait
        try (Connection holder = dataSource.getConnection()) {
            holder.setAutoCommit(false);
            try (PreparedStatement lock =
                    holder.prepareStatement("SELECT * FROM " + table(tables.sequencerTable()) + " FOR UPDATE")) {
                lock.executeQuery().close();
            }
            appendEach("stuck", 2);
            await().atMost(TIMEOUT).until(() -> !relay.health(quick).isUp());
            RelayHealth stalled = relay.health(quick);
            assertThat(stalled.reasons()).singleElement().asString().contains("sequencing has stalled");
            holder.rollback();
        }
        await().atMost(TIMEOUT).until(() -> relay.health(quick).isUp());
        assertThat(queueSize()).isZero();

        relay.close();
        assertThat(relay.health(quick).reasons()).singleElement().asString().contains("not running");
    }

    @Test
    void shouldAddTheHeaderSourcesHeadersAtAppendWithTheEventsOwnWinning() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        OutboxWriter traced = OutboxWriter.builder(dialect())
                .tables(tables)
                .headers(() -> {
                    asked.incrementAndGet();
                    return Map.of("traceparent", "00-trace-span-01", "tenant", "from-source");
                })
                .build();
        traced.inTransaction(dataSource, tx -> {
            tx.append(OutboxEvent.of("test", "k", "Happened", "{}"));
            tx.append(OutboxEvent.of("test", "k", "Happened", "{}").withHeader("tenant", "own"));
            return null;
        });
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            traced.append(connection, OutboxEvent.of("test", "k", "Happened", "{}"));
            connection.commit();
        }
        OutboxWriter plain = OutboxWriter.builder(dialect()).tables(tables).build();
        plain.inTransaction(dataSource, tx -> {
            tx.append(OutboxEvent.of("test", "k", "Happened", "{}"));
            return null;
        });

        startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("search", batch -> {})
                        .startFrom(StartPosition.BEGINNING)
                        .build()));
        OutboxLog log = relaysLog();
        await().atMost(TIMEOUT).until(() -> log.head() == 4);
        List<OutboxRecord> entries = log.read(1, 10);
        assertThat(entries.get(0).headers())
                .containsEntry("traceparent", "00-trace-span-01")
                .containsEntry("tenant", "from-source");
        assertThat(entries.get(1).headers()).containsEntry("tenant", "own");
        assertThat(entries.get(2).headers()).containsEntry("traceparent", "00-trace-span-01");
        assertThat(entries.get(3).headers()).isEmpty();
        assertThat(asked.get())
                .as("read once per append call, in the appending thread")
                .isEqualTo(3);
    }

    private OutboxLog relaysLog() {
        return OutboxRelay.builder(dataSource, dialect()).tables(tables).build().log();
    }
}
