package dev.outbox.testsupport.history;

import dev.outbox.testkit.history.CheckReport;
import dev.outbox.testkit.history.DatabaseState;
import dev.outbox.testkit.history.DatabaseState.ProjectionRow;
import dev.outbox.testkit.history.Delivery;
import dev.outbox.testkit.history.Fault;
import dev.outbox.testkit.history.FaultyConsumer;
import dev.outbox.testkit.history.HandlerCall;
import dev.outbox.testkit.history.History;
import dev.outbox.testkit.history.TransactionRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The figures of a run, as a Markdown table: what ran, what was injected, what the checker found,
 * throughput and delivery lag (from the moment a writer's commit returned to the moment a
 * consumer's handler got the event).
 *
 * @param table the Markdown table
 * @param committedEvents events of committed transactions
 * @param faults faults injected
 * @param violations violations found
 * @param duplicates redeliveries to the at-least-once consumer
 * @param eventsPerSecond committed events per second of workload
 */
public record RunSummary(
        String table, int committedEvents, int faults, int violations, int duplicates, double eventsPerSecond) {

    static RunSummary of(
            String database,
            RunOptions options,
            History history,
            DatabaseState state,
            CheckReport report,
            Map<Fault.Kind, Integer> faultCounts,
            long workloadNanos,
            long drainNanos,
            long writerFailures,
            String operations,
            String relayProcesses) {
        double seconds = workloadNanos / 1e9;
        Map<UUID, Long> committedAt = new HashMap<>();
        int longHeld = 0;
        for (TransactionRecord tx : history.transactions()) {
            if (state.committedTxIds().contains(tx.txId()) && tx.commitReturnedMicros() != Long.MAX_VALUE) {
                for (UUID id : tx.eventIds()) {
                    committedAt.put(id, tx.commitReturnedMicros());
                }
            }
            if (tx.heldMillis() > 0 && state.committedTxIds().contains(tx.txId())) {
                longHeld++;
            }
        }
        Map<UUID, Long> firstDelivery = new HashMap<>();
        for (Delivery d : history.deliveries()) {
            firstDelivery.merge(d.eventId(), d.deliveredMicros(), Math::min);
        }
        List<Long> recorderLags = lags(committedAt, firstDelivery);
        // Away from faults: commits that returned more than 1 s before or after every fault window.
        List<Fault> faultWindows = history.faults();
        Map<UUID, Long> committedAwayFromFaults = new HashMap<>();
        for (Map.Entry<UUID, Long> committed : committedAt.entrySet()) {
            long at = committed.getValue();
            boolean near = faultWindows.stream()
                    .anyMatch(f -> at >= f.startMicros() - 1_000_000 && at <= f.endMicros() + 1_000_000);
            if (!near) {
                committedAwayFromFaults.put(committed.getKey(), at);
            }
        }
        List<Long> quietLags = lags(committedAwayFromFaults, firstDelivery);
        Map<UUID, Long> applied = new HashMap<>();
        for (ProjectionRow row : state.projection()) {
            applied.merge(row.eventId(), row.appliedMicros(), Math::min);
        }
        List<Long> projectionLags = lags(committedAt, applied);
        int faults = faultCounts.values().stream().mapToInt(Integer::intValue).sum();
        double eventsPerSecond = report.committedEvents() / seconds;

        StringBuilder t = new StringBuilder();
        t.append("| history run | ")
                .append(options.isSoak() ? "soak" : "CI size")
                .append(" |\n");
        t.append("|---|---|\n");
        row(t, "database", database);
        row(
                t,
                "workload",
                String.format(
                        Locale.ROOT,
                        "%s (+ %.1f s drain); %d writers on %d keys, %d long writer(s) holding %s, idle session: %s",
                        duration(workloadNanos),
                        drainNanos / 1e9,
                        options.workload().writers(),
                        options.workload().keys(),
                        options.workload().longWriters(),
                        String.format(
                                Locale.ROOT,
                                "%.1f-%.1f s",
                                options.workload().longHold().toMillis() / 2e3,
                                options.workload().longHold().toMillis() * 1.5e-3),
                        options.workload().idleSession() ? "yes" : "no"));
        row(
                t,
                "transactions",
                String.format(
                        Locale.ROOT,
                        "%d committed (%d held open past the lease), %d rolled back, %d with a failed commit settled by the database; %d writer errors from faults",
                        report.committedTransactions(),
                        longHeld,
                        report.rolledBackTransactions(),
                        report.unknownTransactions(),
                        writerFailures));
        row(
                t,
                "events",
                String.format(
                        Locale.ROOT,
                        "%d committed; log %d; transactional consumer %d applies; at-least-once consumer %d deliveries",
                        report.committedEvents(),
                        report.logEntries(),
                        report.transactionalApplies(),
                        report.atLeastOnceDeliveries()));
        row(t, "faults injected", faults + " " + faultCounts);
        if (!relayProcesses.isEmpty()) {
            row(t, "relay processes", relayProcesses);
        }
        if (history.handlerFaults().enabled()) {
            row(t, "handler faults", handlerFaults(history, state, operations));
        }
        row(
                t,
                "violations",
                report.violations().isEmpty() ? "0" : report.violations().size() + " " + report.counts());
        row(
                t,
                "duplicates (at-least-once)",
                report.duplicates() + " (" + report.explainedDuplicates() + " of batches in flight at a fault)");
        row(
                t,
                "throughput",
                String.format(
                        Locale.ROOT,
                        "%.0f events/s, %.0f committed tx/s",
                        eventsPerSecond,
                        report.committedTransactions() / seconds));
        row(t, "lag at-least-once p50 / p99 / max", percentiles(recorderLags));
        row(t, "lag transactional p50 / p99 / max", percentiles(projectionLags));
        row(
                t,
                "lag at-least-once away from faults p50 / p99 / max",
                percentiles(quietLags) + " (" + quietLags.size() + " events)");
        return new RunSummary(
                t.toString(),
                report.committedEvents(),
                faults,
                report.violations().size(),
                report.duplicates(),
                eventsPerSecond);
    }

    /**
     * What the faulty consumers went through: handler calls and how they failed, what was parked
     * and discarded, the operator's work, the status reads checked.
     */
    private static String handlerFaults(History history, DatabaseState state, String operations) {
        List<HandlerCall> calls = history.calls();
        Map<String, Integer> outcomes = new TreeMap<>();
        for (HandlerCall call : calls) {
            if (!call.succeeded()) {
                outcomes.merge(call.outcome(), 1, Integer::sum);
            }
        }
        Set<String> parked = new HashSet<>();
        history.sightings().forEach(s -> parked.add(s.consumer() + "/" + s.seq()));
        state.deadLetters().forEach(d -> parked.add(d.consumer() + "/" + d.seq()));
        long discarded = state.deadLetters().stream()
                .filter(d -> d.status().equals("DISCARDED"))
                .count();
        return String.format(
                Locale.ROOT,
                "%d consumers (BLOCK, PARK, PARK_KEY; at-least-once and transactional), seed %d: %d handler calls,"
                        + " %d failed %s; %d events parked (%d discarded); operator: %s; %d status reads checked",
                FaultyConsumer.ALL.size(),
                history.handlerFaults().seed(),
                calls.size(),
                outcomes.values().stream().mapToInt(Integer::intValue).sum(),
                outcomes,
                parked.size(),
                discarded,
                operations,
                history.samples().size());
    }

    private static void row(StringBuilder table, String name, String value) {
        table.append("| ").append(name).append(" | ").append(value).append(" |\n");
    }

    private static List<Long> lags(Map<UUID, Long> committedAt, Map<UUID, Long> seenAt) {
        List<Long> lags = new ArrayList<>();
        for (Map.Entry<UUID, Long> committed : committedAt.entrySet()) {
            Long seen = seenAt.get(committed.getKey());
            if (seen != null) {
                // a relay may see the commit a moment before the client hears that it succeeded
                lags.add(Math.max(0, seen - committed.getValue()));
            }
        }
        Collections.sort(lags);
        return lags;
    }

    private static String percentiles(List<Long> sortedMicros) {
        if (sortedMicros.isEmpty()) {
            return "n/a";
        }
        return String.format(
                Locale.ROOT,
                "%.1f / %.1f / %.1f ms",
                at(sortedMicros, 0.50) / 1e3,
                at(sortedMicros, 0.99) / 1e3,
                sortedMicros.get(sortedMicros.size() - 1) / 1e3);
    }

    private static long at(List<Long> sorted, double quantile) {
        int index = (int) Math.ceil(quantile * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static String duration(long nanos) {
        Duration d = Duration.ofNanos(nanos);
        long minutes = d.toMinutes();
        return minutes > 0
                ? String.format(Locale.ROOT, "%d min %02d s", minutes, d.toSecondsPart())
                : String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
