package dev.outbox.testkit.history;

import dev.outbox.ConsumerStatus;
import dev.outbox.testkit.history.DatabaseState.LogEntry;
import dev.outbox.testkit.history.DatabaseState.ProjectionRow;
import dev.outbox.testkit.history.TransactionRecord.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A small, correct history built by hand, which a test then breaks in one way: the recordings and
 * the database state are plain mutable lists.
 */
final class Scenario {

    static final long T0 = 1_700_000_000_000_000L;

    final List<TransactionRecord> transactions = new ArrayList<>();
    final List<LogEntry> log = new ArrayList<>();
    final List<ProjectionRow> projection = new ArrayList<>();
    final List<Delivery> deliveries = new ArrayList<>();
    final List<Fault> faults = new ArrayList<>();
    final Set<String> committedTxIds = new HashSet<>();
    final Map<String, Long> rowVersions = new HashMap<>();
    final Set<UUID> queued = new HashSet<>();
    long nextSeq;
    /** Whether the run has the transactional consumer whose rows are {@link #projection}. */
    boolean transactionalConsumer = true;

    // The faulty consumers' part, empty unless withFaultyConsumers() added it.
    HandlerFaults handlerFaults = HandlerFaults.none();
    final List<FaultyConsumer> faultyConsumers = new ArrayList<>();
    final List<HandlerCall> calls = new ArrayList<>();
    final List<DatabaseState.EffectRow> effects = new ArrayList<>();
    final List<DatabaseState.DeadLetterRow> deadLetters = new ArrayList<>();
    final List<History.Discard> discards = new ArrayList<>();
    final List<History.ParkedSighting> sightings = new ArrayList<>();
    final List<History.StatusSample> samples = new ArrayList<>();
    final List<History.StatusSample> finalStatus = new ArrayList<>();

    /**
     * Five transactions, one rolled back; logged, applied and delivered in commit order:
     *
     * <pre>
     * t1 key a v1  1 event   append T0+1000 commit T0+2000   seq 1
     * t2 key b v1  2 events  append T0+3000 commit T0+4000   seq 2, 3
     * t3 key a v2  1 event   append T0+5000 commit T0+6000   seq 4
     * t4 key c v1  1 event   rolled back
     * t5 key b v2  1 event   append T0+7000 commit T0+8000   seq 5
     * </pre>
     */
    static Scenario valid() {
        Scenario s = new Scenario();
        s.committed("t1", "a", 1, 1, 1000, 2000);
        s.committed("t2", "b", 1, 2, 3000, 4000);
        s.committed("t3", "a", 2, 1, 5000, 6000);
        s.transactions.add(new TransactionRecord(
                "t4", "c", 1, List.of(UUID.randomUUID()), Outcome.ROLLED_BACK, T0 + 5500, Long.MAX_VALUE, 0));
        s.committed("t5", "b", 2, 1, 7000, 8000);
        for (TransactionRecord tx : s.transactions) {
            if (tx.outcome() == Outcome.COMMITTED) {
                for (UUID id : tx.eventIds()) {
                    s.appendToLog(id, tx.key());
                }
            }
        }
        s.nextSeq = s.log.size() + 1;
        for (LogEntry entry : s.log) {
            s.projection.add(new ProjectionRow(
                    s.projection.size() + 1,
                    entry.seq(),
                    entry.eventId(),
                    entry.aggregateId(),
                    "r1",
                    T0 + 9000,
                    0,
                    "r1",
                    1));
        }
        // the at-least-once consumer: batch r1#1 = seqs 1..3, batch r1#2 = seqs 4..5
        for (LogEntry entry : s.log) {
            String batch = entry.seq() <= 3 ? "r1#1" : "r1#2";
            long start = entry.seq() <= 3 ? T0 + 10_000 : T0 + 20_000;
            s.deliveries.add(new Delivery(
                    "recorder",
                    "r1",
                    batch,
                    start,
                    entry.seq(),
                    entry.eventId(),
                    entry.aggregateId(),
                    start + entry.seq()));
        }
        s.rowVersions.put("a", 2L);
        s.rowVersions.put("b", 2L);
        s.rowVersions.put("c", 0L);
        return s;
    }

    private void committed(String txId, String key, long version, int events, long append, long commit) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            ids.add(UUID.randomUUID());
        }
        transactions.add(
                new TransactionRecord(txId, key, version, ids, Outcome.COMMITTED, T0 + append, T0 + commit, 0));
        committedTxIds.add(txId);
    }

    private void appendToLog(UUID id, String key) {
        log.add(new LogEntry(log.size() + 1, id, key));
    }

    TransactionRecord tx(String txId) {
        return transactions.stream()
                .filter(t -> t.txId().equals(txId))
                .findFirst()
                .orElseThrow();
    }

    static final FaultyConsumer PARK_KEY = FaultyConsumer.ALL.get(2);
    static final FaultyConsumer BLOCK_TX = FaultyConsumer.ALL.get(3);

    /**
     * The valid scenario with two faulty consumers. The log: 1 a, 2 b, 3 b, 4 a, 5 b.
     *
     * <pre>
     * faulty-park-key (at-least-once): seq 2 is poison (the seed makes it so)
     *   T0+10000 [1..5] fails at 2     T0+10200 [1,2] fails at 2     T0+10300 [1] ok
     *   T0+10400, 10500, 10600 [2] fails: parked; 3 and 5 parked behind key b
     *   T0+10800 [4] ok                T0+20000 [2] ok, 20100 [3] ok, 20200 [5] ok (re-driven)
     * faulty-block-tx (transactional):
     *   T0+11000 [1..5] fails at 3 (rolled back)     T0+11100 [1,2] ok (rows)
     *   T0+11200, 11300, 11400 [3] fails: BLOCKED (read at T0+12000)
     *   T0+13000 [3] ok                T0+14000 [4,5] ok
     * </pre>
     */
    Scenario withFaultyConsumers() {
        long seed = seedMaking(PARK_KEY.name(), log.get(1).eventId(), HandlerFaults.Kind.POISON);
        handlerFaults = HandlerFaults.seeded(seed, Duration.ofSeconds(4));
        faultyConsumers.add(PARK_KEY);
        faultyConsumers.add(BLOCK_TX);
        call(PARK_KEY, "r1", 10_000, List.of(1L, 2L, 3L, 4L, 5L), 1);
        call(PARK_KEY, "r1", 10_200, List.of(1L, 2L), 1);
        call(PARK_KEY, "r1", 10_300, List.of(1L), 1);
        call(PARK_KEY, "r1", 10_400, List.of(2L), 0);
        call(PARK_KEY, "r1", 10_500, List.of(2L), 0);
        call(PARK_KEY, "r1", 10_600, List.of(2L), 0);
        call(PARK_KEY, "r1", 10_800, List.of(4L), 1);
        sightings.add(new History.ParkedSighting(PARK_KEY.name(), 2, 3, "java.lang.IllegalArgumentException"));
        sightings.add(new History.ParkedSighting(PARK_KEY.name(), 3, 0, null));
        sightings.add(new History.ParkedSighting(PARK_KEY.name(), 5, 0, null));
        call(PARK_KEY, "r1", 20_000, List.of(2L), 1);
        call(PARK_KEY, "r1", 20_100, List.of(3L), 1);
        call(PARK_KEY, "r1", 20_200, List.of(5L), 1);

        call(BLOCK_TX, "r1", 11_000, List.of(1L, 2L, 3L, 4L, 5L), 2);
        call(BLOCK_TX, "r1", 11_100, List.of(1L, 2L), 2);
        effect(BLOCK_TX, 1, 11_150);
        effect(BLOCK_TX, 2, 11_160);
        call(BLOCK_TX, "r1", 11_200, List.of(3L), 0);
        call(BLOCK_TX, "r1", 11_300, List.of(3L), 0);
        call(BLOCK_TX, "r1", 11_400, List.of(3L), 0);
        samples.add(sample(BLOCK_TX, 12_000, ConsumerStatus.State.BLOCKED, 3L, 2, "boom"));
        call(BLOCK_TX, "r1", 13_000, List.of(3L), 1);
        effect(BLOCK_TX, 3, 13_050);
        call(BLOCK_TX, "r1", 14_000, List.of(4L, 5L), 2);
        effect(BLOCK_TX, 4, 14_050);
        effect(BLOCK_TX, 5, 14_060);

        finalStatus.add(sample(PARK_KEY, 30_000, ConsumerStatus.State.RUNNING, null, 5, null));
        finalStatus.add(sample(BLOCK_TX, 30_000, ConsumerStatus.State.RUNNING, null, 5, null));
        return this;
    }

    /** A call of {@code consumer} by {@code relay} at T0 + {@code at}, lasting 50 us. */
    void call(FaultyConsumer consumer, String relay, long at, List<Long> seqs, int processed) {
        calls.add(new HandlerCall(
                consumer.name(),
                relay,
                relay + "#" + (calls.size() + 1),
                T0 + at,
                T0 + at + 50,
                seqs,
                processed,
                processed == seqs.size() ? "ok" : "IllegalStateException"));
    }

    void effect(FaultyConsumer consumer, long seq, long at) {
        effects.add(new DatabaseState.EffectRow(
                effects.size() + 1, consumer.name(), seq, log.get((int) seq - 1).eventId(), "r1", T0 + at));
    }

    History.StatusSample sample(
            FaultyConsumer consumer,
            long at,
            ConsumerStatus.State state,
            @Nullable Long blocked,
            long checkpoint,
            @Nullable String error) {
        return new History.StatusSample(consumer.name(), T0 + at, T0 + at + 100, state, blocked, checkpoint, 0, error);
    }

    /** A seed whose plan gives {@code eventId} at {@code consumer} the kind {@code kind}. */
    static long seedMaking(String consumer, UUID eventId, HandlerFaults.Kind kind) {
        for (long seed = 0; ; seed++) {
            if (HandlerFaults.seeded(seed, Duration.ZERO)
                            .plan(consumer, eventId)
                            .kind()
                    == kind) {
                return seed;
            }
        }
    }

    CheckReport check() {
        return check(1);
    }

    /** The check of a run whose transactional and recorded consumers are split into {@code partitions}. */
    CheckReport check(int partitions) {
        History history = new History();
        transactions.forEach(history::record);
        history.relayStarted("r1");
        history.delivered(deliveries);
        faults.forEach(history::fault);
        history.handlerFaults(handlerFaults, faultyConsumers);
        history.called(calls);
        discards.forEach(history::discarded);
        sightings.forEach(history::sighted);
        samples.forEach(history::sampled);
        history.finalStatus(finalStatus);
        DatabaseState state = new DatabaseState(
                log,
                nextSeq,
                queued,
                committedTxIds,
                rowVersions,
                transactionalConsumer ? projection : null,
                effects,
                deadLetters);
        return new HistoryChecker(partitions).check(history, state);
    }
}
