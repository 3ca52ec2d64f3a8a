package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.FailurePolicy;
import dev.outbox.OutboxRecord;
import dev.outbox.RetryPolicy;
import dev.outbox.internal.FailureTracker.Decision;
import dev.outbox.internal.FailureTracker.Failure;
import dev.outbox.internal.FailureTracker.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class FailureTrackerTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** 100 ms doubling to 1 s, no jitter, 3 attempts. */
    private static final RetryPolicy RETRY = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1), 0, 3);

    private static FailureTracker tracker(FailurePolicy policy) {
        return new FailureTracker(RETRY, policy, new SplittableRandom(1));
    }

    private static OutboxRecord record(long seq) {
        return new OutboxRecord(seq, new UUID(0, seq), null, "k" + seq, "E", "{}", Map.of(), T0, T0);
    }

    private static List<OutboxRecord> records(long from, long to) {
        return LongStream.rangeClosed(from, to)
                .mapToObj(FailureTrackerTest::record)
                .toList();
    }

    private static Failure unknown(List<OutboxRecord> handed) {
        return new Failure(handed, false, Kind.HANDLER);
    }

    @Test
    void shouldBisectABatchThatFailedWithoutSayingWhereUntilTheFailingEventIsAlone() {
        FailureTracker tracker = tracker(FailurePolicy.BLOCK);
        assertThat(tracker.limit(0, 100)).isEqualTo(100);

        Decision first = tracker.failed(unknown(records(1, 8)), 0, T0);
        assertThat(first).isEqualTo(new Decision.Retry(T0, null, 0)); // at once, nothing counted
        assertThat(tracker.limit(0, 100)).isEqualTo(4);
        tracker.failed(unknown(records(1, 4)), 0, T0);
        assertThat(tracker.limit(0, 100)).isEqualTo(2);
        tracker.delivered(2); // 1..2 fine
        assertThat(tracker.limit(2, 100)).isEqualTo(2);
        tracker.failed(unknown(records(3, 4)), 2, T0);
        assertThat(tracker.limit(2, 100)).isEqualTo(1);

        Decision counted = tracker.failed(unknown(records(3, 3)), 2, T0);
        assertThat(counted).isEqualTo(new Decision.Retry(T0.plusMillis(100), record(3), 1));
        tracker.delivered(3); // a transient failure: it went through on the retry
        assertThat(tracker.limit(3, 100)).isEqualTo(1); // still inside the failed range 1..8
        tracker.delivered(8);
        assertThat(tracker.limit(8, 100)).isEqualTo(100);
        assertThat(tracker.failingSeq()).isEqualTo(-1);
    }

    @Test
    void shouldCountAttemptsOnTheEventAfterTheCheckpointOnTheRetryScheduleThenBlock() {
        FailureTracker tracker = tracker(FailurePolicy.BLOCK);
        OutboxRecord event = record(5);

        assertThat(tracker.failed(unknown(List.of(event)), 4, T0))
                .isEqualTo(new Decision.Retry(T0.plusMillis(100), event, 1));
        assertThat(tracker.nextAttemptAt()).isEqualTo(T0.plusMillis(100));
        assertThat(tracker.failed(unknown(List.of(event)), 4, T0.plusMillis(100)))
                .isEqualTo(new Decision.Retry(T0.plusMillis(300), event, 2));
        Decision blocked = tracker.failed(unknown(List.of(event)), 4, T0.plusMillis(300));
        assertThat(blocked).isEqualTo(new Decision.Block(event, T0.plusMillis(1300), 3, true));
        assertThat(tracker.blocked()).isTrue();
        // blocked: retried at the capped interval for ever, blocked once
        assertThat(tracker.failed(unknown(List.of(event)), 4, T0.plusMillis(1300)))
                .isEqualTo(new Decision.Block(event, T0.plusMillis(2300), 4, false));
        assertThat(tracker.resolvedBy(4)).isFalse();
        assertThat(tracker.resolvedBy(5)).isTrue();
        tracker.delivered(5);
        assertThat(tracker.blocked()).isFalse();
        assertThat(tracker.nextAttemptAt()).isNull();
    }

    @Test
    void shouldParkAfterTheLastAttemptWithTheTimeOfTheFirstFailure() {
        FailureTracker tracker = tracker(FailurePolicy.PARK_KEY);
        OutboxRecord event = record(1);
        tracker.failed(unknown(List.of(event)), 0, T0);
        tracker.failed(unknown(List.of(event)), 0, T0.plusSeconds(1));

        assertThat(tracker.failed(unknown(List.of(event)), 0, T0.plusSeconds(2)))
                .isEqualTo(new Decision.Park(event, 3, T0));
    }

    @Test
    void shouldNotCountAFailureThatALaterEventsPredecessorsMustGoFirst() {
        FailureTracker tracker = tracker(FailurePolicy.PARK);
        // a transactional batch 1..10 rolled back; the handler said 7 failed after 1..6
        Decision decision = tracker.failed(new Failure(records(7, 10), true, Kind.HANDLER), 0, T0);

        assertThat(decision).isEqualTo(new Decision.Retry(T0, null, 0));
        assertThat(tracker.limit(0, 100)).isEqualTo(6); // 1..6 as one batch, without 7
        tracker.delivered(6);
        assertThat(tracker.limit(6, 100)).isEqualTo(1); // then 7 alone
        assertThat(tracker.failed(new Failure(records(7, 7), true, Kind.HANDLER), 6, T0))
                .isEqualTo(new Decision.Retry(T0.plusMillis(100), record(7), 1));
    }

    @Test
    void shouldCountALocatedFailureRightAfterTheCheckpointWithoutBisecting() {
        FailureTracker tracker = tracker(FailurePolicy.PARK);
        // at-least-once: 1..3 were saved, 4 failed
        Decision decision = tracker.failed(new Failure(records(4, 10), true, Kind.HANDLER), 3, T0);

        assertThat(decision).isEqualTo(new Decision.Retry(T0.plusMillis(100), record(4), 1));
        assertThat(tracker.limit(3, 100)).isEqualTo(1);
    }

    @Test
    void shouldWaitForTheDownstreamForEverWithoutCountingOrParking() {
        FailureTracker tracker = tracker(FailurePolicy.PARK);
        Failure down = new Failure(records(1, 5), false, Kind.DOWNSTREAM);

        assertThat(tracker.failed(down, 0, T0)).isEqualTo(new Decision.WaitForDownstream(T0.plusMillis(100), true));
        assertThat(tracker.waitingSince()).isEqualTo(T0);
        Instant at = T0;
        for (int i = 0; i < 20; i++) {
            at = at.plusSeconds(1);
            Decision again = tracker.failed(down, 0, at);
            assertThat(again).isInstanceOf(Decision.WaitForDownstream.class);
            assertThat(((Decision.WaitForDownstream) again).began()).isFalse();
        }
        assertThat(tracker.nextAttemptAt()).isEqualTo(at.plusSeconds(1)); // capped at maxBackoff
        assertThat(tracker.limit(0, 100)).isEqualTo(100); // not bisected
        assertThat(tracker.waitingSince()).isEqualTo(T0);

        tracker.delivered(5);
        assertThat(tracker.waitingSince()).isNull();
        assertThat(tracker.failed(down, 5, at)).isEqualTo(new Decision.WaitForDownstream(at.plusMillis(100), true));
    }

    @Test
    void shouldKeepTheAttemptsOfAnEventThroughADownstreamWait() {
        FailureTracker tracker = tracker(FailurePolicy.BLOCK);
        OutboxRecord event = record(1);
        tracker.failed(unknown(List.of(event)), 0, T0);
        tracker.failed(new Failure(List.of(event), false, Kind.DOWNSTREAM), 0, T0);
        tracker.failed(unknown(List.of(event)), 0, T0);

        assertThat(tracker.waitingSince()).isNull();
        assertThat(tracker.failed(unknown(List.of(event)), 0, T0)).isInstanceOf(Decision.Block.class);
    }

    @Test
    void shouldRetryADeadlockAtOnceAFewTimesThenWaitLikeForADownstream() {
        FailureTracker tracker = tracker(FailurePolicy.BLOCK);
        Failure deadlock = new Failure(records(1, 3), false, Kind.TRANSIENT);
        for (int i = 1; i <= FailureTracker.QUIET_TRANSIENT_RETRIES; i++) {
            assertThat(tracker.failed(deadlock, 0, T0)).isEqualTo(new Decision.Retry(T0.plusMillis(5L * i), null, 0));
        }
        assertThat(tracker.failed(deadlock, 0, T0)).isEqualTo(new Decision.WaitForDownstream(T0.plusMillis(100), true));
    }

    @Test
    void shouldBlockAtOnceAgainAfterATakeOverOfABlockedConsumerUnlessTheFirstAttemptSucceeds() {
        FailureTracker tracker = tracker(FailurePolicy.BLOCK);
        tracker.restoreBlock(8, T0);

        assertThat(tracker.limit(7, 100)).isEqualTo(1);
        assertThat(tracker.nextAttemptAt()).isNull(); // the new owner tries at once
        assertThat(tracker.failed(unknown(List.of(record(8))), 7, T0))
                .isEqualTo(new Decision.Block(record(8), T0.plusSeconds(1), 3, false));

        FailureTracker fixed = tracker(FailurePolicy.BLOCK);
        fixed.restoreBlock(8, T0);
        assertThat(fixed.resolvedBy(8)).isTrue();
        fixed.delivered(8);
        assertThat(fixed.blocked()).isFalse();
    }

    @Test
    void shouldStartAfreshForAnotherEvent() {
        FailureTracker tracker = tracker(FailurePolicy.BLOCK);
        tracker.failed(unknown(List.of(record(1))), 0, T0);
        tracker.failed(unknown(List.of(record(1))), 0, T0);
        tracker.delivered(1);

        assertThat(tracker.failed(unknown(List.of(record(2))), 1, T0))
                .isEqualTo(new Decision.Retry(T0.plusMillis(100), record(2), 1));
    }

    /**
     * Generated logs: a consumer's entries with holes between their seqs (a split consumer's
     * partition: the other partitions' entries), some poisoned, read and handed as the delivery
     * does; every run ends with each entry delivered once or parked, in seq order, in a bounded
     * number of handler calls. Bisection halved in seqs once read the same entries for ever.
     */
    @Test
    void shouldIsolateEveryPoisonedEntryOfALogWithHolesInABoundedNumberOfCalls() {
        for (int run = 0; run < 2_000; run++) {
            SplittableRandom random = new SplittableRandom(run);
            int partitions = 1 + random.nextInt(16);
            int batchSize = 1 + random.nextInt(50);
            double poisonRate = random.nextDouble(0.3);
            boolean located = random.nextBoolean();
            List<Long> entries = new ArrayList<>();
            Set<Long> poisoned = new HashSet<>();
            long head = 0;
            for (int n = 1 + random.nextInt(300); entries.size() < n; ) {
                head++;
                if (random.nextInt(partitions) == 0) {
                    entries.add(head);
                    if (random.nextDouble() < poisonRate) {
                        poisoned.add(head);
                    }
                }
            }
            head += random.nextInt(20); // the log goes on with other partitions' entries
            String described = "run " + run + " (" + partitions + " partitions, batch " + batchSize + ", "
                    + (located ? "located" : "unlocated") + " failures)";
            assertThat(deliverAll(entries, poisoned, head, batchSize, located, described))
                    .as(described)
                    .containsExactlyElementsOf(entries);
        }
    }

    /**
     * Delivers {@code entries} up to {@code head} as the delivery does: reads up to the tracker's
     * limit and seq, a handler failing on poisoned entries (after saving those before them when
     * {@code located}), parks what the tracker parks; returns the seqs delivered or parked.
     */
    private static List<Long> deliverAll(
            List<Long> entries, Set<Long> poisoned, long head, int batchSize, boolean located, String run) {
        FailureTracker tracker = tracker(FailurePolicy.PARK);
        List<Long> done = new ArrayList<>();
        long checkpoint = 0;
        Instant now = T0;
        int maxCalls = 2 * entries.size() + poisoned.size() * (RETRY.maxAttempts() + 2 * 7 + 4);
        for (int calls = 0; checkpoint < head; calls++) {
            assertThat(calls).as(run + ": handler calls").isLessThan(maxCalls);
            long upTo = Math.min(head, tracker.readUpTo(checkpoint));
            int limit = tracker.limit(checkpoint, batchSize);
            long after = checkpoint;
            List<OutboxRecord> read = entries.stream()
                    .filter(seq -> seq > after && seq <= upTo)
                    .limit(limit)
                    .map(FailureTrackerTest::record)
                    .toList();
            long covered = read.size() == limit ? read.get(read.size() - 1).seq() : upTo;
            int failing = -1;
            for (int i = 0; i < read.size() && failing < 0; i++) {
                failing = poisoned.contains(read.get(i).seq()) ? i : -1;
            }
            if (failing < 0) {
                read.forEach(r -> done.add(r.seq()));
                checkpoint = covered;
                tracker.delivered(covered);
                continue;
            }
            List<OutboxRecord> remaining = read;
            if (located) {
                read.subList(0, failing).forEach(r -> done.add(r.seq()));
                checkpoint = Math.max(checkpoint, read.get(failing).seq() - 1);
                remaining = read.subList(failing, read.size());
            }
            Decision decision = tracker.failed(new Failure(remaining, located, Kind.HANDLER), checkpoint, now);
            now = now.plusSeconds(1);
            if (decision instanceof Decision.Park park) {
                done.add(park.event().seq());
                checkpoint = park.event().seq();
                tracker.delivered(checkpoint);
            }
        }
        return done;
    }
}
