package dev.outbox.testkit.history;

import dev.outbox.testkit.history.DatabaseState.LogEntry;
import dev.outbox.testkit.history.DatabaseState.ProjectionRow;
import dev.outbox.testkit.history.TransactionRecord.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

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
                    s.projection.size() + 1, entry.seq(), entry.eventId(), entry.aggregateId(), "r1", T0 + 9000));
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

    CheckReport check() {
        History history = new History();
        transactions.forEach(history::record);
        history.relayStarted("r1");
        history.delivered(deliveries);
        faults.forEach(history::fault);
        DatabaseState state = new DatabaseState(log, nextSeq, queued, committedTxIds, rowVersions, projection);
        return new HistoryChecker().check(history, state);
    }
}
