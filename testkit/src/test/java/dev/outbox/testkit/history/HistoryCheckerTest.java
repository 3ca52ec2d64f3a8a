package dev.outbox.testkit.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.KeyPartitioner;
import dev.outbox.testkit.history.DatabaseState.LogEntry;
import dev.outbox.testkit.history.DatabaseState.ProjectionRow;
import dev.outbox.testkit.history.TransactionRecord.Outcome;
import dev.outbox.testkit.history.Violation.Kind;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The checker must fail: every broken history is reported, with evidence that names the culprits. */
class HistoryCheckerTest {

    @Test
    void shouldAcceptACorrectHistory() {
        CheckReport report = Scenario.valid().check();

        assertThat(report.violations()).isEmpty();
        assertThat(report.committedTransactions()).isEqualTo(4);
        assertThat(report.rolledBackTransactions()).isEqualTo(1);
        assertThat(report.committedEvents()).isEqualTo(5);
        assertThat(report.duplicates()).isZero();
    }

    @Test
    void shouldReportAMissingEventWithItsTransaction() {
        Scenario s = Scenario.valid();
        UUID lost = s.tx("t3").eventIds().get(0);
        // the relay never moved it: it is still queued, the log is renumbered without it
        s.queued.add(lost);
        s.log.removeIf(e -> e.eventId().equals(lost));
        s.projection.removeIf(r -> r.eventId().equals(lost));
        s.deliveries.removeIf(d -> d.eventId().equals(lost));
        renumber(s);

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.LOST_EVENT);
        assertThat(report.violations(Kind.LOST_EVENT)).hasSize(3); // log, both consumers
        Violation log = report.violations(Kind.LOST_EVENT).get(0);
        assertThat(log.summary()).contains(lost.toString(), "t3", "still in the queue table");
        assertThat(log.evidence()).anySatisfy(line -> assertThat(line).contains("tx t3", "key a v2"));
    }

    @Test
    void shouldReportAnEventOfARolledBackTransactionThatWasDelivered() {
        Scenario s = Scenario.valid();
        UUID phantom = s.tx("t4").eventIds().get(0);
        s.log.add(new LogEntry(6, phantom, "c"));
        s.nextSeq = 7;
        s.deliveries.add(
                new Delivery("recorder", "r1", "r1#3", Scenario.T0 + 30_000, 6, phantom, "c", Scenario.T0 + 30_001));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.PHANTOM_EVENT);
        assertThat(report.violations(Kind.PHANTOM_EVENT))
                .extracting(Violation::summary)
                .anySatisfy(summary -> assertThat(summary).contains("the log", phantom.toString(), "seq 6", "t4"))
                .anySatisfy(summary -> assertThat(summary).contains("at-least-once", "t4", "did not commit"));
        assertThat(report.violations(Kind.PHANTOM_EVENT).get(0).evidence())
                .anySatisfy(line -> assertThat(line).contains("ROLLED_BACK"));
    }

    @Test
    void shouldReportAnEventNoTransactionAppended() {
        Scenario s = Scenario.valid();
        UUID stranger = UUID.randomUUID();
        s.log.add(new LogEntry(6, stranger, "zz"));
        s.nextSeq = 7;

        CheckReport report = s.check();

        assertThat(report.violations(Kind.PHANTOM_EVENT))
                .singleElement()
                .satisfies(v -> assertThat(v.summary()).contains(stranger.toString(), "no transaction"));
    }

    @Test
    void shouldReportTwoTransactionsSequencedAgainstRealTimeOrder() {
        Scenario s = Scenario.valid();
        // t2 (key b, committed at T0+4000) and t3 (key a, append began at T0+5000) swap places:
        // t3 gets seq 2, t2 gets seqs 3 and 4
        UUID t2e0 = s.tx("t2").eventIds().get(0);
        UUID t2e1 = s.tx("t2").eventIds().get(1);
        UUID t3e0 = s.tx("t3").eventIds().get(0);
        s.log.set(1, new LogEntry(2, t3e0, "a"));
        s.log.set(2, new LogEntry(3, t2e0, "b"));
        s.log.set(3, new LogEntry(4, t2e1, "b"));
        s.projection.clear();
        s.deliveries.clear();
        for (LogEntry e : s.log) {
            s.projection.add(new ProjectionRow(
                    e.seq(), e.seq(), e.eventId(), e.aggregateId(), "r1", Scenario.T0 + 9000, 0, "r1", 1));
            s.deliveries.add(new Delivery(
                    "recorder",
                    "r1",
                    "r1#1",
                    Scenario.T0 + 10_000,
                    e.seq(),
                    e.eventId(),
                    e.aggregateId(),
                    Scenario.T0 + 10_000 + e.seq()));
        }

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.REAL_TIME_ORDER);
        Violation violation = report.violations(Kind.REAL_TIME_ORDER).get(0);
        assertThat(violation.summary()).contains("t2 committed before t3", "seq 4 after its seq 2");
        assertThat(violation.evidence())
                .anySatisfy(line -> assertThat(line).startsWith("A: tx t2").contains("seqs 3..4"))
                .anySatisfy(line -> assertThat(line).startsWith("B: tx t3").contains("seqs 2..2"))
                .anySatisfy(line -> assertThat(line).contains("1000 us before"));
    }

    @Test
    void shouldAcceptOverlappingTransactionsInEitherOrder() {
        Scenario s = Scenario.valid();
        // t5 appends (T0+7000) before t3 commits: make t3's commit return at T0+7500; t3 and t5 then
        // overlap and may be sequenced either way; they touch different keys
        TransactionRecord t3 = s.tx("t3");
        s.transactions.set(
                s.transactions.indexOf(t3),
                new TransactionRecord(
                        t3.txId(),
                        t3.key(),
                        t3.version(),
                        t3.eventIds(),
                        Outcome.COMMITTED,
                        t3.appendBeganMicros(),
                        Scenario.T0 + 7500,
                        0));
        UUID t3e0 = t3.eventIds().get(0);
        UUID t5e0 = s.tx("t5").eventIds().get(0);
        s.log.set(3, new LogEntry(4, t5e0, "b"));
        s.log.set(4, new LogEntry(5, t3e0, "a"));
        s.projection.clear();
        s.deliveries.clear();
        for (LogEntry e : s.log) {
            s.projection.add(new ProjectionRow(
                    e.seq(), e.seq(), e.eventId(), e.aggregateId(), "r1", Scenario.T0 + 9000, 0, "r1", 1));
            s.deliveries.add(new Delivery(
                    "recorder",
                    "r1",
                    "r1#1",
                    Scenario.T0 + 10_000,
                    e.seq(),
                    e.eventId(),
                    e.aggregateId(),
                    Scenario.T0 + 10_000 + e.seq()));
        }

        assertThat(s.check().violations()).isEmpty();
    }

    @Test
    void shouldReportAGapInTheLog() {
        Scenario s = Scenario.valid();
        // seq 3 missing: seq 4 and 5 keep their numbers
        LogEntry third = s.log.remove(2);
        s.queued.add(third.eventId());

        CheckReport report = s.check();

        assertThat(report.violations(Kind.SEQ_GAP)).singleElement().satisfies(v -> {
            assertThat(v.summary()).isEqualTo("seq 3 missing from the log");
            assertThat(v.evidence()).anySatisfy(line -> assertThat(line).startsWith("log seq 2:"));
            assertThat(v.evidence()).anySatisfy(line -> assertThat(line).startsWith("log seq 4:"));
        });
    }

    @Test
    void shouldReportANextSeqThatDisagreesWithTheLog() {
        Scenario s = Scenario.valid();
        s.nextSeq = 9;

        assertThat(s.check().violations(Kind.SEQ_GAP))
                .singleElement()
                .satisfies(v -> assertThat(v.summary()).contains("next_seq is 9", "ends at seq 5"));
    }

    @Test
    void shouldReportATransactionalBatchCommittedByARelayItsPartitionsRowDidNotName() {
        Scenario s = Scenario.valid();
        ProjectionRow row = s.projection.get(1);
        s.projection.set(
                1,
                new ProjectionRow(
                        row.applyId(),
                        row.seq(),
                        row.eventId(),
                        row.aggregateId(),
                        "r2",
                        row.appliedMicros(),
                        0,
                        "r1",
                        1));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.TWO_OWNERS);
        assertThat(report.violations(Kind.TWO_OWNERS))
                .extracting(Violation::summary)
                .anySatisfy(summary -> assertThat(summary).contains("in relay r2", "row named r1"))
                .anySatisfy(summary -> assertThat(summary).contains("served by r1 and r2 under epoch 1"));
    }

    @Test
    void shouldReportAnEventTheTransactionalConsumerAppliedTwice() {
        Scenario s = Scenario.valid();
        ProjectionRow second = s.projection.get(1);
        s.projection.add(
                2,
                new ProjectionRow(
                        99,
                        second.seq(),
                        second.eventId(),
                        second.aggregateId(),
                        "r2",
                        Scenario.T0 + 9500,
                        0,
                        "r2",
                        2));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.TRANSACTIONAL_DUPLICATE);
        Violation violation = report.violations(Kind.TRANSACTIONAL_DUPLICATE).get(0);
        assertThat(violation.summary()).contains(second.eventId().toString(), "seq 2", "twice");
        assertThat(violation.evidence())
                .anySatisfy(line -> assertThat(line).contains("applied #2 by r1"))
                .anySatisfy(line -> assertThat(line).contains("applied #99 by r2"))
                .anySatisfy(line -> assertThat(line).contains("event 0 of tx t2"));
    }

    @Test
    void shouldReportARedeliveryWithoutAFault() {
        Scenario s = Scenario.valid();
        redeliverFirstBatch(s);

        CheckReport report = s.check();

        assertThat(report.duplicates()).isEqualTo(3);
        assertThat(report.violations(Kind.UNEXPLAINED_DUPLICATE)).hasSize(3);
        assertThat(report.violations(Kind.UNEXPLAINED_DUPLICATE).get(0).evidence())
                .anySatisfy(line -> assertThat(line).startsWith("first: seq 1").contains("r1#1"))
                .anySatisfy(line -> assertThat(line).startsWith("again: seq 1").contains("r2#1"));
    }

    @Test
    void shouldAcceptARedeliveryOfTheBatchInFlightAtAFault() {
        Scenario s = Scenario.valid();
        redeliverFirstBatch(s);
        // r1's connections were killed while batch r1#1 (T0+10000..T0+20000) was in flight
        s.faults.add(new Fault(Fault.Kind.RELAY_CONNECTIONS_KILLED, Scenario.T0 + 15_000, Scenario.T0 + 16_000, "r1"));

        CheckReport report = s.check();

        assertThat(report.violations()).isEmpty();
        assertThat(report.duplicates()).isEqualTo(3);
        assertThat(report.explainedDuplicates()).isEqualTo(3);
    }

    @Test
    void shouldAcceptARedeliveryOfABatchBegunJustAfterTheConnectionsWereKilledButNotLongAfter() {
        // batch r1#1 began at T0+10000: a kill that ended just before may still meet it (the pool
        // hands out a recently used connection unchecked); one that ended over a second before not
        Scenario soon = Scenario.valid();
        redeliverFirstBatch(soon);
        soon.faults.add(new Fault(Fault.Kind.RELAY_CONNECTIONS_KILLED, Scenario.T0 + 9_000, Scenario.T0 + 9_990, "r1"));
        assertThat(soon.check().violations()).isEmpty();

        Scenario late = Scenario.valid();
        redeliverFirstBatch(late);
        long end = Scenario.T0 + 10_000 - Fault.AFTER_EFFECT_MICROS - 1;
        late.faults.add(new Fault(Fault.Kind.RELAY_CONNECTIONS_KILLED, end - 1_000, end, "r1"));
        assertThat(late.check().violations(Kind.UNEXPLAINED_DUPLICATE)).hasSize(3);
    }

    @Test
    void shouldNotExcuseARedeliveryByACleanRelayStop() {
        Scenario s = Scenario.valid();
        redeliverFirstBatch(s);
        s.faults.add(new Fault(Fault.Kind.RELAY_STOPPED_AND_STARTED, Scenario.T0 + 15_000, Scenario.T0 + 16_000, "r1"));

        assertThat(s.check().violations(Kind.UNEXPLAINED_DUPLICATE)).hasSize(3);
    }

    @Test
    void shouldReportEventsOfOneKeyOutOfVersionOrder() {
        Scenario s = Scenario.valid();
        // the at-least-once consumer gets t3 (key a, v2) before t1 (key a, v1): seqs 4 then 1
        Delivery first = s.deliveries.get(0);
        Delivery fourth = s.deliveries.get(3);
        s.deliveries.set(
                0,
                new Delivery(
                        "recorder",
                        "r1",
                        "r1#1",
                        first.batchStartMicros(),
                        fourth.seq(),
                        fourth.eventId(),
                        "a",
                        first.deliveredMicros()));
        s.deliveries.set(
                3,
                new Delivery(
                        "recorder",
                        "r1",
                        "r1#2",
                        fourth.batchStartMicros(),
                        first.seq(),
                        first.eventId(),
                        "a",
                        fourth.deliveredMicros()));

        CheckReport report = s.check();

        assertThat(report.violations(Kind.KEY_ORDER))
                .singleElement()
                .satisfies(v -> assertThat(v.summary())
                        .contains("at-least-once", "key a has v2 event 0 (seq 4", "before v1 event 0 (seq 1"));
        assertThat(report.violations(Kind.DELIVERY_ORDER)).isNotEmpty();
    }

    @Test
    void shouldSettleAnUnknownCommitByTheDatabase() {
        Scenario s = Scenario.valid();
        TransactionRecord t5 = s.tx("t5");
        s.transactions.set(
                s.transactions.indexOf(t5),
                new TransactionRecord(
                        t5.txId(),
                        t5.key(),
                        t5.version(),
                        t5.eventIds(),
                        Outcome.UNKNOWN,
                        t5.appendBeganMicros(),
                        Long.MAX_VALUE,
                        0));

        CheckReport report = s.check();

        assertThat(report.violations()).isEmpty();
        assertThat(report.unknownTransactions()).isEqualTo(1);
        assertThat(report.committedTransactions()).isEqualTo(4);
    }

    @Test
    void shouldReportAClientCommitTheDatabaseDoesNotHave() {
        Scenario s = Scenario.valid();
        s.committedTxIds.remove("t5");
        s.rowVersions.put("b", 1L);

        CheckReport report = s.check();

        assertThat(report.violations(Kind.HISTORY_MISMATCH))
                .singleElement()
                .satisfies(v -> assertThat(v.summary()).contains("t5", "no business row"));
        // and its event, which the relay did deliver, is a phantom
        assertThat(report.violations(Kind.PHANTOM_EVENT)).isNotEmpty();
    }

    @Test
    void shouldShowAtMostFiveViolationsOfAKindWithTheirEvidence() {
        Scenario s = Scenario.valid();
        for (int i = 0; i < 8; i++) {
            s.log.add(new LogEntry(6 + i, UUID.randomUUID(), "zz"));
        }
        s.nextSeq = 14;

        String text = s.check().describeViolations();

        assertThat(text).startsWith("8 violation(s): {PHANTOM_EVENT=8}").contains("3 more not shown");
    }

    private static void redeliverFirstBatch(Scenario s) {
        List<Delivery> firstBatch =
                s.deliveries.stream().filter(d -> d.batchId().equals("r1#1")).toList();
        for (Delivery d : firstBatch) {
            s.deliveries.add(new Delivery(
                    "recorder",
                    "r2",
                    "r2#1",
                    Scenario.T0 + 30_000,
                    d.seq(),
                    d.eventId(),
                    d.aggregateId(),
                    Scenario.T0 + 30_000 + d.seq()));
        }
    }

    @Test
    void shouldCheckEachAtLeastOnceConsumerOnItsOwn() {
        Scenario s = Scenario.valid();
        // a second consumer got every event but seq 4, in batches of its own
        for (Delivery d : List.copyOf(s.deliveries)) {
            if (d.seq() != 4) {
                s.deliveries.add(new Delivery(
                        "audit",
                        "r1",
                        "audit-" + d.batchId(),
                        d.batchStartMicros() + 1,
                        d.seq(),
                        d.eventId(),
                        d.aggregateId(),
                        d.deliveredMicros() + 1));
            }
        }

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.LOST_EVENT);
        assertThat(report.violations(Kind.LOST_EVENT))
                .singleElement()
                .satisfies(v -> assertThat(v.summary()).contains("at-least-once consumer 'audit'", "t3"));
        assertThat(report.duplicates()).isZero();
    }

    @Test
    void shouldCheckARunWithoutATransactionalConsumer() {
        Scenario s = Scenario.valid();
        s.projection.clear();
        s.transactionalConsumer = false;

        assertThat(s.check().violations()).isEmpty();

        s.transactionalConsumer = true; // the same rows, from a consumer that should have applied them
        assertThat(s.check().counts()).containsOnlyKeys(Kind.LOST_EVENT);
    }

    private static void renumber(Scenario s) {
        for (int i = 0; i < s.log.size(); i++) {
            LogEntry e = s.log.get(i);
            s.log.set(i, new LogEntry(i + 1, e.eventId(), e.aggregateId()));
        }
        s.nextSeq = s.log.size() + 1;
        for (int i = 0; i < s.projection.size(); i++) {
            ProjectionRow r = s.projection.get(i);
            s.projection.set(
                    i,
                    new ProjectionRow(
                            r.applyId(),
                            i + 1,
                            r.eventId(),
                            r.aggregateId(),
                            r.relayId(),
                            r.appliedMicros(),
                            r.partition(),
                            r.ownerSeen(),
                            r.epochSeen()));
        }
        for (int i = 0; i < s.deliveries.size(); i++) {
            Delivery d = s.deliveries.get(i);
            s.deliveries.set(
                    i,
                    new Delivery(
                            d.consumer(),
                            d.relayId(),
                            d.batchId(),
                            d.batchStartMicros(),
                            i + 1,
                            d.eventId(),
                            d.aggregateId(),
                            d.deliveredMicros()));
        }
    }

    @Test
    void shouldJudgeTheSeqOrderOfASplitConsumerPerPartitionAndEachKeysOrderOverAll() {
        int partitions = IntStream.rangeClosed(2, 64)
                .filter(p -> KeyPartitioner.partitionOf("a", p) != KeyPartitioner.partitionOf("b", p))
                .findFirst()
                .orElseThrow();
        Scenario s = Scenario.valid();
        // two partitions' batches: key b's (seqs 2, 5) delivered before key a's (seqs 1, 3, 4)
        for (int i = 0; i < s.deliveries.size(); i++) {
            Delivery d = s.deliveries.get(i);
            boolean b = d.aggregateId().equals("b");
            long start = Scenario.T0 + (b ? 10_000 : 20_000);
            s.deliveries.set(
                    i,
                    new Delivery(
                            d.consumer(),
                            d.relayId(),
                            b ? "r1#1" : "r1#2",
                            start,
                            d.seq(),
                            d.eventId(),
                            d.aggregateId(),
                            start + d.seq()));
        }

        assertThat(s.check(partitions).ok()).isTrue();
        assertThat(s.check().violations(Kind.DELIVERY_ORDER)).isNotEmpty();
        // within a partition the order still counts: key a's seqs out of order are a violation
        Delivery first = s.deliveries.get(0);
        s.deliveries.set(0, s.deliveries.get(2));
        s.deliveries.set(2, first);
        Delivery swappedFirst = s.deliveries.get(0);
        Delivery swappedThird = s.deliveries.get(2);
        s.deliveries.set(0, withTimes(swappedFirst, swappedThird));
        s.deliveries.set(2, withTimes(swappedThird, swappedFirst));
        assertThat(s.check(partitions).violations(Kind.DELIVERY_ORDER)).isNotEmpty();
    }

    /** {@code delivery} at the batch and times of {@code at}. */
    private static Delivery withTimes(Delivery delivery, Delivery at) {
        return new Delivery(
                delivery.consumer(),
                delivery.relayId(),
                at.batchId(),
                at.batchStartMicros(),
                delivery.seq(),
                delivery.eventId(),
                delivery.aggregateId(),
                at.deliveredMicros());
    }
}
