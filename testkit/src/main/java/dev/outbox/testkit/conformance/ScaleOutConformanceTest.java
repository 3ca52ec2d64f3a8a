package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.RecordingHandler.Delivery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/** Several relays on one database: one sequencer, one owner per consumer, hand-over, fencing. */
public abstract class ScaleOutConformanceTest extends ConformanceTestBase {

    @Test
    void shouldRunOneSequencerAndOneOwnerPerConsumerAndHandOverWhenTheActiveRelayCloses() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        OutboxRelay a = startRelay("relay-a", relay -> relay.atLeastOnce("search", handler.forRelay("relay-a")));
        OutboxRelay b = startRelay("relay-b", relay -> relay.atLeastOnce("search", handler.forRelay("relay-b")));
        await().atMost(TIMEOUT).until(() -> a.isSequencing() || b.isSequencing());
        await().atMost(TIMEOUT).until(() -> a.ownsConsumer("search") || b.ownsConsumer("search"));
        assertThat(a.isSequencing() && b.isSequencing()).isFalse();
        assertThat(a.ownsConsumer("search") && b.ownsConsumer("search")).isFalse();

        List<UUID> appended = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            OutboxEvent event = OutboxEvent.of("key-" + (i % 7), "E", "{\"i\":" + i + "}");
            appendCommitted(event);
            appended.add(event.eventId());
        }
        handler.awaitCount(300, TIMEOUT);
        OutboxRelay active = a.isSequencing() ? a : b;
        OutboxRelay standby = active == a ? b : a;

        active.close();
        await().atMost(TIMEOUT).until(standby::isSequencing);
        await().atMost(TIMEOUT).until(() -> standby.ownsConsumer("search"));
        for (int i = 300; i < 600; i++) {
            OutboxEvent event = OutboxEvent.of("key-" + (i % 7), "E", "{\"i\":" + i + "}");
            appendCommitted(event);
            appended.add(event.eventId());
        }
        handler.awaitCount(600, TIMEOUT);

        // the log is the single-relay log: every event once, gap-free, in append (commit) order
        List<LogEntry> log = log();
        assertGapFreeFromOne(log.stream().map(LogEntry::seq).toList());
        assertThat(log).extracting(LogEntry::eventId).containsExactlyElementsOf(appended);
        // one owner at a time: each seq delivered once, and the owners' deliveries do not interleave
        assertThat(handler.duplicateSeqs()).isEmpty();
        assertThat(handler.seqs()).isSorted();
        List<String> owners = handler.deliveries().stream().map(Delivery::relay).toList();
        assertThat(changesOfOwner(owners)).isLessThanOrEqualTo(1);
        assertThat(owners.get(owners.size() - 1)).isEqualTo(standby.options().relayId());
    }

    @Test
    void shouldRejectTheCheckpointOfAnOwnerThatPausedPastItsLease() throws Exception {
        CountDownLatch stuckInHandler = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        RecordingHandler recordedByB = new RecordingHandler();
        List<Long> seenByA = new CopyOnWriteArrayList<>();
        OutboxRelay a = startRelay(
                "relay-a",
                relay -> relay.atLeastOnce("search", batch -> {
                    batch.forEach(r -> seenByA.add(r.seq()));
                    stuckInHandler.countDown();
                    resume.await(); // a long GC pause, a frozen VM
                }));
        appendCommitted(IntStream.range(0, 5)
                .mapToObj(i -> OutboxEvent.of("k", "E" + i, "{}"))
                .toArray(OutboxEvent[]::new)); // one transaction: one batch of 5
        assertThat(stuckInHandler.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(a.ownsConsumer("search")).isTrue();

        // while A is frozen its lease runs out and B takes the consumer over (a new epoch)
        execute("UPDATE " + table(tables.consumerTable()) + " SET " + column("lease_until") + " = NULL WHERE "
                + column("name") + " = 'search'");
        OutboxRelay b = startRelay("relay-b", relay -> relay.atLeastOnce("search", recordedByB));
        recordedByB.awaitCount(5, TIMEOUT);
        await().atMost(TIMEOUT).until(() -> checkpoint("search") == 5);

        resume.countDown(); // A wakes up and tries to save its checkpoint
        await().atMost(TIMEOUT).until(() -> !a.ownsConsumer("search"));
        appendEach("k", 1);
        recordedByB.awaitCount(6, TIMEOUT);

        await().atMost(TIMEOUT).until(() -> checkpoint("search") == 6); // saved after the handler returns
        assertThat(b.ownsConsumer("search")).isTrue();
        assertThat(seenByA).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(recordedByB.seqs()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void shouldTakeOverTheWorkOfARelayThatStoppedRenewingItsLeases() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        OutboxRelay a = startRelay("relay-a", relay -> relay.atLeastOnce("search", handler.forRelay("relay-a")));
        await().atMost(TIMEOUT).until(() -> a.isSequencing() && a.ownsConsumer("search"));
        appendEach("k", 10);
        handler.awaitCount(10, TIMEOUT);

        // relay-a dies without releasing anything: its threads stop, its leases stay in the tables
        a.close();
        String unexpiredLease =
                DSL.using(dialect().sqlDialect()).render(dialect().currentTimePlusMillis(DSL.inline(2_000L)));
        execute("UPDATE " + table(tables.sequencerTable()) + " SET " + column("holder") + " = 'relay-a', "
                + column("lease_until") + " = " + unexpiredLease);
        execute("UPDATE " + table(tables.consumerTable()) + " SET " + column("owner") + " = 'relay-a', "
                + column("lease_until") + " = " + unexpiredLease);
        long started = System.nanoTime();
        OutboxRelay b = startRelay("relay-b", relay -> relay.atLeastOnce("search", handler.forRelay("relay-b")));
        appendEach("k", 10);
        handler.awaitCount(20, TIMEOUT);
        Duration takeover = Duration.ofNanos(System.nanoTime() - started);

        assertThat(b.isSequencing()).isTrue();
        assertThat(handler.seqs())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 20).boxed().toList());
        // bounded by the lease (2 s in these tests) plus a standby check
        assertThat(takeover).isLessThan(Duration.ofSeconds(15));
    }

    private long checkpoint(String consumer) throws Exception {
        return queryLong(
                "SELECT " + column("checkpoint_seq") + " FROM " + table(tables.consumerTable()) + " WHERE "
                        + column("name") + " = ?",
                consumer);
    }

    private static int changesOfOwner(List<String> owners) {
        int changes = 0;
        for (int i = 1; i < owners.size(); i++) {
            if (!owners.get(i).equals(owners.get(i - 1))) {
                changes++;
            }
        }
        return changes;
    }
}
