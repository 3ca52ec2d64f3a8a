package dev.outbox.testkit.history;

import static dev.outbox.testkit.history.Scenario.BLOCK_TX;
import static dev.outbox.testkit.history.Scenario.PARK_KEY;
import static dev.outbox.testkit.history.Scenario.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.ConsumerStatus;
import dev.outbox.testkit.history.Violation.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checker of the faulty consumers must fail too: every way a handler failure could break a
 * guarantee, fed to it as a broken history, is reported.
 */
class HandlerFaultCheckerTest {

    private static Scenario valid() {
        return Scenario.valid().withFaultyConsumers();
    }

    @Test
    void shouldAcceptAValidHistoryOfFailingHandlersParkedKeysBlocksAndReDrives() {
        CheckReport report = valid().check();

        assertThat(report.violations()).isEmpty();
    }

    @Test
    void shouldReportAnEventNeitherDeliveredNorInTheDeadLetters() {
        Scenario s = valid();
        s.calls.removeIf(c -> c.consumer().equals(PARK_KEY.name()) && c.seqs().equals(List.of(4L)));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.LOST_EVENT);
        assertThat(report.violations(Kind.LOST_EVENT).get(0).summary())
                .contains("faulty-park-key never got seq 4", "not in its dead letters");
    }

    @Test
    void shouldAcceptAnEventThatIsStillParked() {
        Scenario s = valid();
        s.calls.removeIf(c -> c.consumer().equals(PARK_KEY.name()) && c.seqs().equals(List.of(5L)));
        s.deadLetters.add(new DatabaseState.DeadLetterRow(PARK_KEY.name(), 5, "PARKED", 0));
        s.finalStatus.set(
                0,
                new History.StatusSample(
                        PARK_KEY.name(), T0 + 30_000, T0 + 30_100, ConsumerStatus.State.RUNNING, null, 5, 1, null));

        assertThat(s.check().violations()).isEmpty();
    }

    @Test
    void shouldReportAnEventThatWasDeliveredAndDiscarded() {
        Scenario s = valid();
        s.deadLetters.add(new DatabaseState.DeadLetterRow(PARK_KEY.name(), 3, "DISCARDED", 0));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.DELIVERED_AND_DISCARDED);
        assertThat(report.violations(Kind.DELIVERED_AND_DISCARDED).get(0).summary())
                .contains("faulty-park-key got seq 3", "also discarded");
    }

    @Test
    void shouldReportAnEventATransactionalConsumerAppliedTwice() {
        Scenario s = valid();
        s.effect(BLOCK_TX, 4, 14_070);

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.TRANSACTIONAL_DUPLICATE);
        assertThat(report.violations(Kind.TRANSACTIONAL_DUPLICATE).get(0).summary())
                .contains("faulty-block-tx applied seq 4 2 times");
    }

    @Test
    void shouldReportALaterEventOfAParkedKeyHandedBeforeTheParkedOneWasReDriven() {
        Scenario s = valid();
        // seq 5, key b, while seq 2 of key b is parked and 3 parked behind it
        s.call(PARK_KEY, "r1", 15_000, List.of(5L), 1);

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.HANDED_OUT_OF_ORDER);
        assertThat(report.violations(Kind.HANDED_OUT_OF_ORDER).get(0).summary())
                .contains(
                        "faulty-park-key (PARK_KEY) got seq 5 of key b while seq 2 was neither delivered nor discarded");
    }

    @Test
    void shouldAcceptALaterEventOfAKeyOnceItsParkedEventWasDiscarded() {
        Scenario s = valid();
        // the operator discards 2, 3 and 5 at T0+15000; 5 is delivered after that
        s.calls.removeIf(c -> c.consumer().equals(PARK_KEY.name()) && c.startMicros() >= T0 + 20_000);
        for (long seq : List.of(2L, 3L)) {
            s.discards.add(new History.Discard(PARK_KEY.name(), seq, T0 + 15_000));
            s.deadLetters.add(new DatabaseState.DeadLetterRow(PARK_KEY.name(), seq, "DISCARDED", seq == 2 ? 3 : 0));
        }
        s.call(PARK_KEY, "r1", 16_000, List.of(5L), 1);

        assertThat(s.check().violations()).isEmpty();
    }

    @Test
    void shouldReportAReDriveThatOvertookAnEarlierEventOfItsKey() {
        Scenario s = valid();
        // the re-drive of 2 fails again, yet 3 is delivered
        s.calls.removeIf(c -> c.consumer().equals(PARK_KEY.name()) && c.startMicros() >= T0 + 20_000);
        s.call(PARK_KEY, "r1", 20_000, List.of(2L), 0);
        s.call(PARK_KEY, "r1", 20_100, List.of(3L), 1);
        s.call(PARK_KEY, "r1", 40_000, List.of(2L), 1);
        s.call(PARK_KEY, "r1", 40_100, List.of(5L), 1);

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.HANDED_OUT_OF_ORDER);
        assertThat(report.violations(Kind.HANDED_OUT_OF_ORDER).get(0).summary()).contains("got seq 3 of key b");
    }

    @Test
    void shouldReportAnEventPastTheBlockedOneHandedToABlockConsumer() {
        Scenario s = valid();
        s.call(BLOCK_TX, "r1", 12_500, List.of(4L), 0); // seq 3 is blocked: nothing after it

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.HANDED_OUT_OF_ORDER);
        assertThat(report.violations(Kind.HANDED_OUT_OF_ORDER).get(0).summary())
                .contains("faulty-block-tx (BLOCK) got seq 4 while seq 3");
    }

    @Test
    void shouldReportAnEventParkedThoughItsHandlerNeverFailedItForAReasonThatCounts() {
        Scenario s = valid();
        // seq 4 has no planned fault: only a downstream outage could have failed it, which never counts
        s.sightings.add(new History.ParkedSighting(PARK_KEY.name(), 4, 3, "dev.outbox.DownstreamUnavailableException"));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.PARKED_WITHOUT_FAULT);
        assertThat(report.violations(Kind.PARKED_WITHOUT_FAULT).get(0).summary())
                .contains("parked seq 4 with 3 counted attempt(s)", "planned: NONE");
    }

    @Test
    void shouldReportTwoRelaysInOneConsumersHandlerAtOnceUnlessAFaultExplainsIt() {
        Scenario s = valid();
        // r2 took the consumer over while r1's call of seq 4 (T0+10800..10850) still ran
        s.calls.add(new HandlerCall(PARK_KEY.name(), "r2", "r2#1", T0 + 10_820, T0 + 10_900, List.of(4L), 1, "ok"));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.OVERLAPPING_CALLS);
        assertThat(report.violations(Kind.OVERLAPPING_CALLS).get(0).evidence())
                .anySatisfy(line -> assertThat(line).contains("r1#7"))
                .anySatisfy(line -> assertThat(line).contains("r2#1"));

        s.faults.add(new Fault(Fault.Kind.RELAY_CONNECTIONS_KILLED, T0 + 10_810, T0 + 10_830, "sessions [1]"));
        assertThat(s.check().violations()).isEmpty();
    }

    @Test
    void shouldReportABlockedStatusLongAfterTheBlockedEventWasDelivered() {
        Scenario s = valid();
        s.samples.add(s.sample(BLOCK_TX, 3_000_000, ConsumerStatus.State.BLOCKED, 3L, 2, "boom"));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.STALE_STATUS);
        assertThat(report.violations(Kind.STALE_STATUS).get(0).summary())
                .contains("faulty-block-tx was still BLOCKED at seq 3");
    }

    @Test
    void shouldReportABlockedStatusThatDisagreesWithItsCheckpoint() {
        Scenario s = valid();
        s.samples.add(s.sample(BLOCK_TX, 12_100, ConsumerStatus.State.BLOCKED, 3L, 1, "boom"));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.STALE_STATUS);
        assertThat(report.violations(Kind.STALE_STATUS).get(0).summary())
                .contains("BLOCKED at seq 3 with its checkpoint at 1");
    }

    @Test
    void shouldReportAWaitForTheDownstreamAfterItAnswered() {
        Scenario s = valid();
        // after one of its outages ended: a call that succeeded, then 2 s later still waiting
        long outageEnd = firstOutageEndAfter(s.handlerFaults, PARK_KEY.name(), T0 + 100_000);
        s.call(PARK_KEY, "r1", outageEnd - T0 + 10_000, List.of(), 0);
        s.samples.add(s.sample(
                PARK_KEY, outageEnd - T0 + 2_000_000, ConsumerStatus.State.WAITING_FOR_DOWNSTREAM, null, 5, "down"));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.STALE_STATUS);
        assertThat(report.violations(Kind.STALE_STATUS).get(0).summary())
                .contains("WAITING_FOR_DOWNSTREAM though its downstream had answered");
    }

    @Test
    void shouldAcceptAWaitForTheDownstreamDuringAnOutage() {
        Scenario s = valid();
        long outageEnd = firstOutageEndAfter(s.handlerFaults, PARK_KEY.name(), T0 + 100_000);
        s.samples.add(s.sample(
                PARK_KEY, outageEnd - T0 - 200_000, ConsumerStatus.State.WAITING_FOR_DOWNSTREAM, null, 5, "down"));

        assertThat(s.check().violations()).isEmpty();
    }

    @Test
    void shouldAcceptAWaitForTheDownstreamReadAsTheNextOutageBegan() {
        Scenario s = valid();
        // a call answered after one outage; the next outage begins while a status read runs (a
        // soak found the checker judging such a read by the outage before it)
        long outageEnd = firstOutageEndAfter(s.handlerFaults, PARK_KEY.name(), T0 + 100_000);
        s.call(PARK_KEY, "r1", outageEnd - T0 + 10_000, List.of(), 0);
        long nextOutage = firstOutageStartAfter(s.handlerFaults, PARK_KEY.name(), outageEnd);
        s.samples.add(
                s.sample(PARK_KEY, nextOutage - T0 - 50, ConsumerStatus.State.WAITING_FOR_DOWNSTREAM, null, 5, "down"));

        assertThat(s.check().violations()).isEmpty();
    }

    @Test
    void shouldReportAStatusThatStillShowsAnErrorOnceEverythingWasDelivered() {
        Scenario s = valid();
        s.finalStatus.set(1, s.sample(BLOCK_TX, 30_000, ConsumerStatus.State.BLOCKED, 6L, 5, "boom"));

        CheckReport report = s.check();

        assertThat(report.counts()).containsOnlyKeys(Kind.STALE_STATUS);
        assertThat(report.violations(Kind.STALE_STATUS).get(0).summary())
                .contains(
                        "faulty-block-tx's status at the end", "state BLOCKED", "blocked at seq 6", "last error boom");
    }

    private static long firstOutageEndAfter(HandlerFaults faults, String consumer, long micros) {
        long at = firstOutageStartAfter(faults, consumer, micros);
        while (faults.outageAt(consumer, at)) {
            at += 1_000;
        }
        return at;
    }

    /** The first microsecond at or after {@code micros} in an outage of {@code consumer}. */
    private static long firstOutageStartAfter(HandlerFaults faults, String consumer, long micros) {
        long at = micros;
        while (!faults.outageAt(consumer, at)) {
            at += 1;
        }
        return at;
    }
}
