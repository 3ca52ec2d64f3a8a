package dev.outbox.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.testkit.RecordingHandler;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The log's core guarantees: no phantom, no loss, gap-free seq, commit order where transactions
 * conflict, no stall behind a long transaction.
 */
public abstract class OrderingConformanceTest extends ConformanceTestBase {

    @Test
    void shouldDeliverEveryCommittedEventAndNoRolledBackOne() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));

        List<UUID> committed = new ArrayList<>();
        List<UUID> rolledBack = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            OutboxEvent event = OutboxEvent.of("order-" + (i % 5), "Placed", "{}");
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                writer.append(connection, event);
                if (i % 3 == 0) {
                    connection.rollback();
                    rolledBack.add(event.eventId());
                } else {
                    connection.commit();
                    committed.add(event.eventId());
                }
            }
        }

        handler.awaitCount(committed.size(), TIMEOUT);
        // one more committed event after all of them: once it is delivered, nothing earlier is pending
        UUID last = appendEach("order-last", 1).get(0);
        handler.awaitCount(committed.size() + 1, TIMEOUT);

        assertThat(handler.eventIds()).containsAll(committed).contains(last).doesNotContainAnyElementsOf(rolledBack);
        assertThat(handler.count()).isEqualTo(committed.size() + 1);
        assertGapFreeFromOne(handler.seqs());
        assertThat(queueSize()).isZero();
    }

    @Test
    void shouldSequenceOutOfOrderCommitsInCommitOrderWithoutSkipping() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));

        OutboxEvent a = OutboxEvent.of("a", "A", "{}");
        OutboxEvent b = OutboxEvent.of("b", "B", "{}");
        try (Connection txA = dataSource.getConnection();
                Connection txB = dataSource.getConnection()) {
            txA.setAutoCommit(false);
            txB.setAutoCommit(false);
            writer.append(txA, a); // A gets the lower position
            writer.append(txB, b);
            txB.commit(); // B commits first
            handler.awaitCount(1, TIMEOUT);
            assertThat(handler.records().get(0).eventId()).isEqualTo(b.eventId());
            txA.commit(); // A commits later
        }
        handler.awaitCount(2, TIMEOUT);

        assertThat(handler.records()).extracting(r -> r.eventId()).containsExactly(b.eventId(), a.eventId());
        assertGapFreeFromOne(handler.seqs());
        assertThat(log()).extracting(LogEntry::eventId).containsExactly(b.eventId(), a.eventId());
    }

    @Test
    void shouldNotHoldBackOtherEventsBehindALongRunningTransaction() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));

        OutboxEvent slow = OutboxEvent.of("slow", "Slow", "{}");
        try (Connection longTransaction = dataSource.getConnection()) {
            longTransaction.setAutoCommit(false);
            writer.append(longTransaction, slow);

            long started = System.nanoTime();
            List<OutboxEvent> others = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                others.add(OutboxEvent.of("key-" + (i % 20), "Fast", "{\"i\":" + i + "}"));
            }
            for (int i = 0; i < others.size(); i += 10) {
                appendCommitted(others.subList(i, i + 10).toArray(OutboxEvent[]::new));
            }
            handler.awaitCount(1000, TIMEOUT);
            assertThat(handler.eventIds()).doesNotContain(slow.eventId());
            // held open for several seconds in all, with all 1,000 others delivered meanwhile
            Thread.sleep(Math.max(0, Duration.ofSeconds(3).toMillis() - (System.nanoTime() - started) / 1_000_000));
            assertThat(handler.count()).isEqualTo(1000);

            longTransaction.commit();
        }
        handler.awaitCount(1001, TIMEOUT);

        assertThat(handler.records().get(1000).eventId()).isEqualTo(slow.eventId());
        assertGapFreeFromOne(handler.seqs());
    }

    @Test
    void shouldNotStallBehindAnOpenTransactionThatAppendedJustAfterACommittedBatch() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        List<OutboxEvent> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(OutboxEvent.of("k", "E" + i, "{}"));
        }
        OutboxEvent late = OutboxEvent.of("late", "Late", "{}");

        try (Connection first = dataSource.getConnection();
                Connection open = dataSource.getConnection()) {
            first.setAutoCommit(false);
            open.setAutoCommit(false);
            writer.append(first, batch); // positions p .. p+9
            writer.append(open, late); // position p+10, right after them, stays uncommitted
            first.commit();

            // the batch p .. p+9 goes through while the row just past it is still being inserted
            handler.awaitCount(10, TIMEOUT);
            assertThat(handler.eventIds()).doesNotContain(late.eventId());
            open.commit();
        }
        handler.awaitCount(11, TIMEOUT);
        assertGapFreeFromOne(handler.seqs());
    }

    @Test
    void shouldKeepAppendOrderWithinATransaction() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));

        List<OutboxEvent> events = new ArrayList<>();
        for (int i = 0; i < 1200; i++) { // more than one multi-row insert
            events.add(OutboxEvent.of("k", "E" + i, "{}"));
        }
        writer.inTransaction(dataSource, tx -> {
            tx.append(events.subList(0, 600));
            tx.append(events.subList(600, 1200));
            return null;
        });
        handler.awaitCount(1200, TIMEOUT);

        assertThat(handler.records())
                .extracting(r -> r.eventType())
                .containsExactlyElementsOf(
                        events.stream().map(OutboxEvent::eventType).toList());
    }

    @Test
    void shouldNumberEachBatchInPositionOrderAcrossTheGapsOfRolledBackAppends() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        List<UUID> committed = new ArrayList<>();
        // Each round queues its events while no relay runs, so one sequencer batch moves them all:
        // runs of 1 to 3 positions between the gaps that rolled-back appends leave, one run, a few
        // runs (numbered from the positions), many runs (numbered by sorting), each batch starting
        // at a later seq than the one before.
        int round = 0;
        for (int runs : new int[] {1, 5, 40}) {
            for (int run = 0; run < runs; run++) {
                for (int i = 0; i <= run % 3; i++) {
                    OutboxEvent event = OutboxEvent.of("k-" + (run % 7), "E", "{}");
                    appendCommitted(event);
                    committed.add(event.eventId());
                }
                try (Connection connection = dataSource.getConnection()) {
                    connection.setAutoCommit(false);
                    writer.append(connection, OutboxEvent.of("rolled-back", "E", "{}"));
                    connection.rollback();
                }
            }
            OutboxRelay relay = startRelay("r" + round++, builder -> builder.atLeastOnce("recorder", handler));
            handler.awaitCount(committed.size(), TIMEOUT);
            relay.close();
        }

        assertThat(log()).extracting(LogEntry::eventId).containsExactlyElementsOf(committed);
        assertGapFreeFromOne(log().stream().map(LogEntry::seq).toList());
        assertThat(handler.eventIds()).containsExactlyInAnyOrderElementsOf(committed);
    }

    /** Sets of ids, for readable assertion messages. */
    static Set<UUID> ids(List<OutboxEvent> events) {
        return events.stream().map(OutboxEvent::eventId).collect(Collectors.toSet());
    }
}
