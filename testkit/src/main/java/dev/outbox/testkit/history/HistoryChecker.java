package dev.outbox.testkit.history;

import dev.outbox.KeyPartitioner;
import dev.outbox.testkit.history.DatabaseState.LogEntry;
import dev.outbox.testkit.history.DatabaseState.ProjectionRow;
import dev.outbox.testkit.history.TransactionRecord.Outcome;
import dev.outbox.testkit.history.Violation.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Judges a run: the clients' {@link History} against the {@link DatabaseState} at its end, and,
 * when the run had handler faults, its faulty consumers ({@link HandlerFaultChecker}). Pure logic,
 * no database: feed it any history, this repository's history runs or a test of your own.
 *
 * <p>A test of your own records, into one {@link History}: each transaction its writers tried
 * ({@link TransactionRecord}: the key's business row it updated and the version it gave it, the
 * events it appended, and when its append began and its commit returned, on {@link
 * HistoryClock}); each delivery to each at-least-once consumer ({@link DeliveryRecorder} around
 * the handler); the faults it injected ({@link Fault}), which explain redeliveries; and when each
 * relay ran. At the end it reads the {@link DatabaseState} ({@link DatabaseState#of}: outbox's
 * tables by {@link OutboxState#read}, and which transactions' business rows exist) and checks:
 * {@code new HistoryChecker().check(history, state).assertNoViolations()}.
 *
 * <p>What committed is what the database says: a transaction committed if and only if its
 * business row exists (the row and the events are written in one transaction). A client that saw
 * its commit return but whose row is missing, or the reverse, is reported as {@link
 * Kind#HISTORY_MISMATCH}; a commit that failed in flight ({@link Outcome#UNKNOWN}) is settled by
 * the row.
 *
 * <p>Each violation carries the smallest evidence that shows it: the event, its transaction and
 * seq, the time stamps compared, the fault windows considered. Stateless and thread-safe.
 */
public final class HistoryChecker {

    /** Name of the transactional consumer, in messages. */
    private static final String TRANSACTIONAL = "transactional consumer";

    private static final String AT_LEAST_ONCE = "at-least-once consumer";

    private final int partitions;

    /** A checker of runs whose transactional and at-least-once consumers are not split. */
    public HistoryChecker() {
        this(1);
    }

    /**
     * A checker of runs whose transactional consumer and at-least-once consumers (those whose
     * deliveries the history records) are split into {@code partitions}: their seq order, and what a
     * redelivery needs to be explained by, are judged per partition (each partition has its own
     * lease and runs its batches one at a time); what they delivered, and each key's order, over all
     * partitions. The consumers with handler faults are not split.
     */
    public HistoryChecker(int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        this.partitions = partitions;
    }

    /** Checks everything; never throws for a violation, returns them. */
    public CheckReport check(History history, DatabaseState database) {
        Run run = new Run(history, database, partitions);
        run.checkOutcomes();
        run.checkLog();
        run.checkTransactionalConsumer();
        run.checkAtLeastOnceConsumers();
        run.checkRealTimeOrder();
        new HandlerFaultChecker(history, database, run.committedEvents, run.violations).check();
        return run.report();
    }

    /** One transaction's events and where they are. */
    private record Appended(TransactionRecord tx, int index) {}

    private static final class Run {
        private final History history;
        private final DatabaseState database;
        private final List<Violation> violations = new ArrayList<>();
        private final Map<String, TransactionRecord> transactions = new LinkedHashMap<>();
        private final Map<UUID, Appended> events = new HashMap<>();
        private final Set<UUID> committedEvents = new HashSet<>();
        private final Map<UUID, Long> seqOf = new HashMap<>();
        private int duplicates;
        private int explainedDuplicates;
        private int committedTransactions;
        private int rolledBackTransactions;
        private int unknownTransactions;
        private final int partitions;

        Run(History history, DatabaseState database, int partitions) {
            this.history = history;
            this.database = database;
            this.partitions = partitions;
            for (TransactionRecord tx : history.transactions()) {
                TransactionRecord previous = transactions.put(tx.txId(), tx);
                if (previous != null) {
                    violations.add(new Violation(
                            Kind.HISTORY_MISMATCH,
                            "transaction id " + tx.txId() + " recorded twice",
                            List.of(previous.toString(), tx.toString())));
                }
                for (int i = 0; i < tx.eventIds().size(); i++) {
                    events.put(tx.eventIds().get(i), new Appended(tx, i));
                }
            }
        }

        boolean committed(TransactionRecord tx) {
            return database.committedTxIds().contains(tx.txId());
        }

        // --- what committed -------------------------------------------------------------------

        void checkOutcomes() {
            Map<String, List<TransactionRecord>> committedByKey = new TreeMap<>();
            for (TransactionRecord tx : transactions.values()) {
                boolean committed = committed(tx);
                if (tx.outcome() == Outcome.UNKNOWN) {
                    unknownTransactions++;
                }
                if (committed) {
                    committedTransactions++;
                    committedEvents.addAll(tx.eventIds());
                    committedByKey
                            .computeIfAbsent(tx.key(), k -> new ArrayList<>())
                            .add(tx);
                } else {
                    rolledBackTransactions++;
                }
                if (tx.outcome() == Outcome.COMMITTED && !committed) {
                    violations.add(new Violation(
                            Kind.HISTORY_MISMATCH,
                            "the commit of " + tx.txId() + " returned, but the database has no business row of it",
                            List.of(tx.toString())));
                } else if (tx.outcome() == Outcome.ROLLED_BACK && committed) {
                    violations.add(new Violation(
                            Kind.HISTORY_MISMATCH,
                            tx.txId() + " was rolled back, but the database has its business row",
                            List.of(tx.toString())));
                }
            }
            for (String txId : database.committedTxIds()) {
                if (!transactions.containsKey(txId)) {
                    violations.add(new Violation(
                            Kind.HISTORY_MISMATCH,
                            "the database has the business row of " + txId + ", which no client recorded",
                            List.of()));
                }
            }
            // Every committed transaction bumped its row by one: per key, versions 1..current.
            for (Map.Entry<String, List<TransactionRecord>> key : committedByKey.entrySet()) {
                List<TransactionRecord> txs = key.getValue();
                txs.sort(Comparator.comparingLong(TransactionRecord::version));
                Long current = database.rowVersions().get(key.getKey());
                for (int i = 0; i < txs.size(); i++) {
                    if (txs.get(i).version() != i + 1) {
                        violations.add(new Violation(
                                Kind.HISTORY_MISMATCH,
                                "key " + key.getKey() + ": committed versions are not 1, 2, 3, ...: expected v"
                                        + (i + 1) + ", found",
                                List.of(txs.get(i).toString())));
                        break;
                    }
                }
                if (current != null && current != txs.size()) {
                    violations.add(new Violation(
                            Kind.HISTORY_MISMATCH,
                            "key " + key.getKey() + ": the row is at v" + current + " but " + txs.size()
                                    + " committed transactions of it were recorded",
                            List.of()));
                }
            }
        }

        // --- the log ----------------------------------------------------------------------------

        void checkLog() {
            List<LogEntry> log = database.log();
            long expected = 1;
            Map<UUID, LogEntry> firstEntry = new HashMap<>();
            for (int i = 0; i < log.size(); i++) {
                LogEntry entry = log.get(i);
                if (entry.seq() != expected) {
                    violations.add(new Violation(
                            Kind.SEQ_GAP,
                            entry.seq() > expected
                                    ? "seq " + expected + (entry.seq() - 1 > expected ? ".." + (entry.seq() - 1) : "")
                                            + " missing from the log"
                                    : "seq " + entry.seq() + " out of order in the log",
                            around(log, i)));
                }
                expected = entry.seq() + 1;
                LogEntry previous = firstEntry.putIfAbsent(entry.eventId(), entry);
                if (previous != null) {
                    violations.add(new Violation(
                            Kind.DUPLICATE_IN_LOG,
                            "event " + entry.eventId() + " is in the log twice, at seq " + previous.seq() + " and "
                                    + entry.seq(),
                            List.of(describe(entry.eventId()))));
                } else {
                    seqOf.put(entry.eventId(), entry.seq());
                }
            }
            long last = log.isEmpty() ? 0 : log.get(log.size() - 1).seq();
            if (database.nextSeq() != last + 1) {
                violations.add(new Violation(
                        Kind.SEQ_GAP,
                        "the sequencer's next_seq is " + database.nextSeq() + " but the log ends at seq " + last,
                        List.of()));
            }
            checkSet(
                    "the log",
                    log.stream().map(LogEntry::eventId).toList(),
                    log.stream().map(e -> "seq " + e.seq()).toList());
            checkKeyOrder(
                    "the log",
                    log.stream().map(LogEntry::eventId).toList(),
                    log.stream().map(e -> "seq " + e.seq()).toList());
        }

        private List<String> around(List<LogEntry> log, int index) {
            List<String> lines = new ArrayList<>();
            for (int i = Math.max(0, index - 2); i < Math.min(log.size(), index + 2); i++) {
                LogEntry e = log.get(i);
                lines.add("log seq " + e.seq() + ": " + describe(e.eventId()));
            }
            return lines;
        }

        /** Delivered set = committed set: reports what is missing and what should not be there. */
        private void checkSet(String where, List<UUID> seen, List<String> positions) {
            Set<UUID> present = new HashSet<>(seen);
            for (int i = 0; i < seen.size(); i++) {
                UUID id = seen.get(i);
                if (!committedEvents.contains(id)) {
                    Appended appended = events.get(id);
                    violations.add(new Violation(
                            Kind.PHANTOM_EVENT,
                            appended == null
                                    ? where + " has event " + id + " (" + positions.get(i)
                                            + "), which no transaction of the history appended"
                                    : where + " has event " + id + " (" + positions.get(i) + ") of "
                                            + appended.tx().txId() + ", which did not commit",
                            appended == null ? List.of() : List.of(appended.tx().toString())));
                }
            }
            List<UUID> missing = new ArrayList<>();
            for (TransactionRecord tx : transactions.values()) {
                if (committed(tx)) {
                    for (UUID id : tx.eventIds()) {
                        if (!present.contains(id)) {
                            missing.add(id);
                        }
                    }
                }
            }
            for (UUID id : missing) {
                Appended appended = events.get(id);
                String state = database.queued().contains(id)
                        ? "it is still in the queue table"
                        : seqOf.containsKey(id) ? "the log has it at seq " + seqOf.get(id) : "the log does not have it";
                violations.add(new Violation(
                        Kind.LOST_EVENT,
                        where + " misses committed event " + id + " (event " + appended.index() + " of "
                                + appended.tx().txId() + "); " + state,
                        List.of(appended.tx().toString())));
            }
        }

        /**
         * Per key, the events must come in the order of the row's versions, and the events of one
         * transaction in append order: (version, index) increases strictly.
         */
        private void checkKeyOrder(String where, List<UUID> order, List<String> positions) {
            Map<String, Integer> lastAt = new HashMap<>();
            Set<String> reported = new HashSet<>();
            for (int i = 0; i < order.size(); i++) {
                Appended current = events.get(order.get(i));
                if (current == null) {
                    continue;
                }
                String key = current.tx().key();
                Integer previousAt = lastAt.put(key, i);
                if (previousAt == null) {
                    continue;
                }
                Appended previous = events.get(order.get(previousAt));
                int compare = Long.compare(previous.tx().version(), current.tx().version());
                if (compare == 0) {
                    compare = Integer.compare(previous.index(), current.index());
                }
                if (compare >= 0 && reported.add(key)) {
                    violations.add(new Violation(
                            Kind.KEY_ORDER,
                            where + ": key " + key + " has v" + previous.tx().version() + " event "
                                    + previous.index() + " (" + positions.get(previousAt) + ") before v"
                                    + current.tx().version() + " event " + current.index() + " ("
                                    + positions.get(i) + ")",
                            List.of(
                                    positions.get(previousAt) + ": " + previous.tx(),
                                    positions.get(i) + ": " + current.tx())));
                }
            }
        }

        // --- the transactional consumer ---------------------------------------------------------

        /**
         * Every committed batch was the work of the relay its partition's row named, read under the
         * row's lock, and each (partition, epoch) was served by one relay.
         */
        private void checkOneOwnerPerEpoch(List<ProjectionRow> rows) {
            Map<String, ProjectionRow> servedBy = new HashMap<>();
            for (ProjectionRow row : rows) {
                if (!row.relayId().equals(row.ownerSeen())) {
                    violations.add(new Violation(
                            Kind.TWO_OWNERS,
                            "the " + TRANSACTIONAL + " committed seq " + row.seq() + " in relay " + row.relayId()
                                    + " while partition " + row.partition() + "'s row named " + row.ownerSeen()
                                    + " (epoch " + row.epochSeen() + ")",
                            List.of("applied #" + row.applyId() + " at " + HistoryClock.format(row.appliedMicros()))));
                }
                ProjectionRow other = servedBy.putIfAbsent(row.partition() + "@" + row.epochSeen(), row);
                if (other != null && !other.relayId().equals(row.relayId())) {
                    violations.add(new Violation(
                            Kind.TWO_OWNERS,
                            "partition " + row.partition() + " of the " + TRANSACTIONAL + " was served by "
                                    + other.relayId() + " and " + row.relayId() + " under epoch " + row.epochSeen(),
                            List.of(
                                    "applied #" + other.applyId() + " (seq " + other.seq() + ") by " + other.relayId(),
                                    "applied #" + row.applyId() + " (seq " + row.seq() + ") by " + row.relayId())));
                }
            }
        }

        void checkTransactionalConsumer() {
            List<ProjectionRow> rows = database.projection();
            if (rows == null) {
                return; // the run has no transactional consumer
            }
            Map<UUID, ProjectionRow> first = new HashMap<>();
            for (ProjectionRow row : rows) {
                ProjectionRow previous = first.putIfAbsent(row.eventId(), row);
                if (previous != null) {
                    violations.add(new Violation(
                            Kind.TRANSACTIONAL_DUPLICATE,
                            "the " + TRANSACTIONAL + " applied event " + row.eventId() + " (seq " + row.seq()
                                    + ") twice",
                            List.of(
                                    "applied #" + previous.applyId() + " by " + previous.relayId() + " at "
                                            + HistoryClock.format(previous.appliedMicros()),
                                    "applied #" + row.applyId() + " by " + row.relayId() + " at "
                                            + HistoryClock.format(row.appliedMicros()),
                                    describe(row.eventId()))));
                }
            }
            checkOneOwnerPerEpoch(rows);
            List<ProjectionRow> once = new ArrayList<>(first.values());
            once.sort(Comparator.comparingLong(ProjectionRow::applyId));
            byPartition(once, ProjectionRow::aggregateId)
                    .forEach((partition, applied) -> checkSeqOrder(
                            TRANSACTIONAL + partitionLabel(partition),
                            applied.stream().map(ProjectionRow::seq).toList(),
                            applied.stream()
                                    .map(r -> "applied #" + r.applyId() + " by " + r.relayId())
                                    .toList()));
            checkSet(
                    "the " + TRANSACTIONAL,
                    once.stream().map(ProjectionRow::eventId).toList(),
                    once.stream()
                            .map(r -> "seq " + r.seq() + ", applied #" + r.applyId())
                            .toList());
            checkKeyOrder(
                    "the " + TRANSACTIONAL,
                    once.stream().map(ProjectionRow::eventId).toList(),
                    once.stream()
                            .map(r -> "seq " + r.seq() + ", applied #" + r.applyId())
                            .toList());
        }

        private void checkSeqOrder(String consumer, List<Long> seqs, List<String> positions) {
            for (int i = 1; i < seqs.size(); i++) {
                if (seqs.get(i) <= seqs.get(i - 1)) {
                    violations.add(new Violation(
                            Kind.DELIVERY_ORDER,
                            "the " + consumer + " got seq " + seqs.get(i) + " after seq " + seqs.get(i - 1),
                            List.of(
                                    "seq " + seqs.get(i - 1) + " " + positions.get(i - 1),
                                    "seq " + seqs.get(i) + " " + positions.get(i))));
                    return;
                }
            }
        }

        // --- the at-least-once consumer ---------------------------------------------------------

        /** Each at-least-once consumer's deliveries, on their own. */
        void checkAtLeastOnceConsumers() {
            Map<String, List<Delivery>> byConsumer = new TreeMap<>();
            for (Delivery d : history.deliveries()) {
                byConsumer.computeIfAbsent(d.consumer(), c -> new ArrayList<>()).add(d);
            }
            byConsumer.forEach((consumer, deliveries) ->
                    checkAtLeastOnceConsumer(AT_LEAST_ONCE + " '" + consumer + "'", deliveries));
        }

        /**
         * {@code items} by the partition of their key, in their order within each; one group when
         * the consumers are not split.
         */
        private <T> Map<Integer, List<T>> byPartition(List<T> items, Function<T, String> key) {
            Map<Integer, List<T>> groups = new TreeMap<>();
            for (T item : items) {
                int partition = partitions == 1 ? 0 : KeyPartitioner.partitionOf(key.apply(item), partitions);
                groups.computeIfAbsent(partition, p -> new ArrayList<>()).add(item);
            }
            return groups;
        }

        private String partitionLabel(int partition) {
            return partitions == 1 ? "" : " (partition " + partition + ")";
        }

        private void checkAtLeastOnceConsumer(String name, List<Delivery> deliveries) {
            deliveries.sort(Comparator.comparingLong(Delivery::deliveredMicros)); // stable: keeps batch order
            List<Delivery> firsts = new ArrayList<>();
            byPartition(deliveries, Delivery::aggregateId)
                    .forEach((partition, ofPartition) ->
                            firsts.addAll(checkRedeliveriesAndOrder(name + partitionLabel(partition), ofPartition)));
            firsts.sort(Comparator.comparingLong(Delivery::deliveredMicros));
            for (Delivery d : firsts) {
                Long logged = seqOf.get(d.eventId());
                if (logged != null && logged != d.seq()) {
                    violations.add(new Violation(
                            Kind.DELIVERY_ORDER,
                            "the " + name + " got event " + d.eventId() + " as seq " + d.seq()
                                    + " but the log has it at seq " + logged,
                            List.of(d.toString())));
                }
            }
            checkSet(
                    "the " + name,
                    firsts.stream().map(Delivery::eventId).toList(),
                    firsts.stream().map(d -> "seq " + d.seq()).toList());
            checkKeyOrder(
                    "the " + name,
                    firsts.stream().map(Delivery::eventId).toList(),
                    firsts.stream()
                            .map(d -> "seq " + d.seq() + " by " + d.relayId())
                            .toList());
        }

        /**
         * The redeliveries of one consumer (one partition of it), each explained by a fault, and the
         * seq order of its first deliveries; returns those, in order.
         */
        private List<Delivery> checkRedeliveriesAndOrder(String name, List<Delivery> deliveries) {
            Map<String, List<Delivery>> byRelay = new HashMap<>();
            for (Delivery d : deliveries) {
                byRelay.computeIfAbsent(d.relayId(), r -> new ArrayList<>()).add(d);
            }
            Map<String, Long> batchEnd = batchEnds(byRelay);
            Map<Long, Delivery> firstBySeq = new HashMap<>();
            Map<Long, Delivery> lastBySeq = new HashMap<>();
            List<Delivery> firsts = new ArrayList<>();
            for (Delivery d : deliveries) {
                Delivery previous = lastBySeq.put(d.seq(), d);
                if (previous == null) {
                    firstBySeq.put(d.seq(), d);
                    firsts.add(d);
                    continue;
                }
                duplicates++;
                long from = previous.batchStartMicros();
                long to = batchEnd.getOrDefault(previous.batchId(), Long.MAX_VALUE);
                Fault explanation = null;
                for (Fault fault : history.faults()) {
                    if (fault.mayRedeliverBatch(from, to)) {
                        explanation = fault;
                        break;
                    }
                }
                if (explanation != null) {
                    explainedDuplicates++;
                } else {
                    List<String> evidence = new ArrayList<>();
                    evidence.add("first: " + previous);
                    evidence.add("again: " + d);
                    evidence.add("batch " + previous.batchId() + " was in flight " + HistoryClock.format(from) + ".."
                            + HistoryClock.format(to) + "; faults that may redeliver: "
                            + history.faults().stream()
                                    .filter(f -> f.kind().mayRedeliver())
                                    .map(Fault::toString)
                                    .toList());
                    violations.add(new Violation(
                            Kind.UNEXPLAINED_DUPLICATE,
                            "the " + name + " got seq " + d.seq() + " again, with no fault while its first"
                                    + " batch was in flight",
                            evidence));
                }
            }
            checkSeqOrder(
                    name + " (first deliveries)",
                    firsts.stream().map(Delivery::seq).toList(),
                    firsts.stream()
                            .map(d -> "by " + d.relayId() + " in " + d.batchId() + " at "
                                    + HistoryClock.format(d.deliveredMicros()))
                            .toList());
            return firsts;
        }

        /**
         * When each batch stopped being in flight, at the latest: when the same relay began its next
         * batch (it saves a checkpoint or fails before that), or when the relay ended.
         */
        private Map<String, Long> batchEnds(Map<String, List<Delivery>> byRelay) {
            Map<String, Long> ends = new HashMap<>();
            Map<String, History.RelayLifetime> lifetimes = history.relays();
            for (Map.Entry<String, List<Delivery>> relay : byRelay.entrySet()) {
                List<Delivery> list = relay.getValue();
                History.RelayLifetime lifetime = lifetimes.get(relay.getKey());
                long relayEnd = lifetime == null ? Long.MAX_VALUE : lifetime.endMicros();
                String batch = null;
                for (Delivery d : list) {
                    if (!d.batchId().equals(batch)) {
                        if (batch != null) {
                            ends.put(batch, d.batchStartMicros());
                        }
                        batch = d.batchId();
                    }
                }
                if (batch != null) {
                    ends.put(batch, relayEnd);
                }
            }
            return ends;
        }

        // --- the real-time order ----------------------------------------------------------------

        /**
         * If A's commit returned before B's append began, every event of A has a lower seq than every
         * event of B. Sweep B in order of append time, keeping the A (commit returned before) with
         * the highest seq; that A against B is the smallest evidence.
         */
        void checkRealTimeOrder() {
            record Span(TransactionRecord tx, long minSeq, long maxSeq) {}
            List<Span> spans = new ArrayList<>();
            for (TransactionRecord tx : transactions.values()) {
                if (!committed(tx) || tx.eventIds().isEmpty()) {
                    continue;
                }
                long min = Long.MAX_VALUE;
                long max = Long.MIN_VALUE;
                boolean complete = true;
                for (UUID id : tx.eventIds()) {
                    Long seq = seqOf.get(id);
                    if (seq == null) {
                        complete = false; // reported as lost
                        break;
                    }
                    min = Math.min(min, seq);
                    max = Math.max(max, seq);
                }
                if (complete) {
                    spans.add(new Span(tx, min, max));
                }
            }
            List<Span> byCommit = new ArrayList<>(spans);
            byCommit.sort(Comparator.comparingLong(s -> s.tx().commitReturnedMicros()));
            List<Span> byAppend = new ArrayList<>(spans);
            byAppend.sort(Comparator.comparingLong(s -> s.tx().appendBeganMicros()));
            int next = 0;
            @Nullable Span highest = null;
            int reported = 0;
            for (Span b : byAppend) {
                while (next < byCommit.size()
                        && byCommit.get(next).tx().commitReturnedMicros() < b.tx().appendBeganMicros()) {
                    Span a = byCommit.get(next++);
                    if (highest == null || a.maxSeq() > highest.maxSeq()) {
                        highest = a;
                    }
                }
                if (highest != null && highest.maxSeq() > b.minSeq()) {
                    violations.add(new Violation(
                            Kind.REAL_TIME_ORDER,
                            highest.tx().txId() + " committed before " + b.tx().txId() + " began to append, but"
                                    + " has seq " + highest.maxSeq() + " after its seq " + b.minSeq(),
                            List.of(
                                    "A: " + highest.tx() + ", seqs " + highest.minSeq() + ".." + highest.maxSeq(),
                                    "B: " + b.tx() + ", seqs " + b.minSeq() + ".." + b.maxSeq(),
                                    "A's commit returned "
                                            + (b.tx().appendBeganMicros()
                                                    - highest.tx().commitReturnedMicros())
                                            + " us before B's append began")));
                    if (++reported >= 100) {
                        return; // one inversion tends to show up against many later transactions
                    }
                }
            }
        }

        private String describe(UUID eventId) {
            Appended appended = events.get(eventId);
            return appended == null
                    ? "event " + eventId + " (of no recorded transaction)"
                    : "event " + eventId + " = event " + appended.index() + " of " + appended.tx();
        }

        CheckReport report() {
            return new CheckReport(
                    violations,
                    committedTransactions,
                    rolledBackTransactions,
                    unknownTransactions,
                    committedEvents.size(),
                    database.log().size(),
                    database.projection() == null ? 0 : database.projection().size(),
                    history.deliveries().size(),
                    duplicates,
                    explainedDuplicates);
        }
    }
}
