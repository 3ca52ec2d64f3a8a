package dev.outbox.testkit.history;

import dev.outbox.ConsumerStatus;
import dev.outbox.FailurePolicy;
import dev.outbox.testkit.history.DatabaseState.DeadLetterRow;
import dev.outbox.testkit.history.DatabaseState.EffectRow;
import dev.outbox.testkit.history.DatabaseState.LogEntry;
import dev.outbox.testkit.history.Violation.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Judges the {@link FaultyConsumer}s of a run: their handlers' calls, their effects, the
 * dead-letter table and the status read during the run, against the log. For each consumer:
 *
 * <ul>
 *   <li>every committed event is delivered (processed by the handler; for a transactional consumer,
 *       its row committed) or in the dead-letter table (parked or discarded), never neither; a
 *       discarded event never delivered; a transactional consumer's event never applied twice;
 *   <li>BLOCK: the handler never gets an event while an earlier one is neither delivered nor in the
 *       same call before it; PARK_KEY: the same per key, where an earlier event may also have been
 *       discarded (re-driven events included: they come in seq order);
 *   <li>an event with counted attempts in the dead-letter table had a planned fault (a downstream
 *       outage never counts);
 *   <li>two relays' calls of one consumer never overlap, except around a fault that may redeliver
 *       (a lease keeper keeps a slow handler's lease alive);
 *   <li>the status is true: BLOCKED only at the event after the checkpoint, and not once that event
 *       was delivered; WAITING_FOR_DOWNSTREAM only until the downstream answered after its outage;
 *       at the end RUNNING with no error,
 *       no block, and no parked event left.
 * </ul>
 *
 * <p>A handler's effect counts from its call's start when judging later calls (lenient: an effect
 * happens during its call) and from its call's end when judging the status (the status can only
 * change after the call). Pure logic, like {@link HistoryChecker}, which runs it.
 */
final class HandlerFaultChecker {

    /** How long the status may lag behind what the handlers did. */
    static final long STATUS_GRACE_MICROS = 1_000_000;

    /** Reports per kind and consumer, before the rest are counted only. */
    private static final int REPORTS_PER_KIND = 20;

    private final History history;
    private final DatabaseState database;
    private final Set<UUID> committedEvents;
    private final List<Violation> violations;
    private final Map<Long, LogEntry> bySeq = new HashMap<>();
    private final List<Fault> redeliveringFaults;
    private final Map<String, Integer> reported = new HashMap<>();

    HandlerFaultChecker(
            History history, DatabaseState database, Set<UUID> committedEvents, List<Violation> violations) {
        this.history = history;
        this.database = database;
        this.committedEvents = committedEvents;
        this.violations = violations;
        for (LogEntry entry : database.log()) {
            bySeq.put(entry.seq(), entry);
        }
        this.redeliveringFaults =
                history.faults().stream().filter(f -> f.kind().mayRedeliver()).toList();
    }

    /** One delivery of an event: the call (at-least-once) or the row (transactional) that did it. */
    private record Effect(long seq, long startMicros, long endMicros, String by, boolean mayBeUnsaved) {}

    void check() {
        for (FaultyConsumer consumer : history.faultyConsumers()) {
            checkConsumer(consumer);
        }
    }

    private void checkConsumer(FaultyConsumer consumer) {
        String name = consumer.name();
        List<HandlerCall> calls = history.calls().stream()
                .filter(c -> c.consumer().equals(name))
                .sorted(Comparator.comparingLong(HandlerCall::startMicros))
                .toList();
        List<Effect> effects = consumer.transactional() ? rowEffects(name) : callEffects(calls);
        Map<Long, String> deadLetters = new HashMap<>();
        for (DeadLetterRow row : database.deadLetters()) {
            if (row.consumer().equals(name)) {
                deadLetters.put(row.seq(), row.status());
            }
        }
        Map<Long, Long> discardedAt = new HashMap<>();
        for (History.Discard discard : history.discards()) {
            if (discard.consumer().equals(name)) {
                discardedAt.merge(discard.seq(), discard.startMicros(), Math::min);
            }
        }
        checkOutcomes(consumer, effects, deadLetters);
        if (consumer.policy() != FailurePolicy.PARK) {
            checkHandedOrder(consumer, calls, effects, discardedAt);
        }
        checkParkedFaults(consumer, deadLetters);
        checkOverlaps(name, calls);
        checkStatus(consumer, calls, effects, deadLetters);
    }

    // --- what each call did --------------------------------------------------------------------------

    private List<Effect> callEffects(List<HandlerCall> calls) {
        // A call's effects may be lost with its checkpoint if a fault that may redeliver hit it
        // before its relay's next call: then they may be delivered again, and even parked.
        Map<String, List<HandlerCall>> byRelay = new HashMap<>();
        for (HandlerCall call : calls) {
            byRelay.computeIfAbsent(call.relayId(), r -> new ArrayList<>()).add(call);
        }
        Map<String, Long> inFlightUntil = new HashMap<>();
        for (List<HandlerCall> relayCalls : byRelay.values()) {
            for (int i = 0; i < relayCalls.size(); i++) {
                HandlerCall call = relayCalls.get(i);
                History.RelayLifetime life = history.relays().get(call.relayId());
                long until = i + 1 < relayCalls.size()
                        ? relayCalls.get(i + 1).startMicros()
                        : life == null ? Long.MAX_VALUE : life.endMicros();
                inFlightUntil.put(call.callId(), until);
            }
        }
        List<Effect> effects = new ArrayList<>();
        for (HandlerCall call : calls) {
            boolean mayBeUnsaved = redelivering(call.startMicros(), inFlightUntil.get(call.callId())) != null;
            for (int i = 0; i < call.processed(); i++) {
                effects.add(new Effect(
                        call.seqs().get(i), call.startMicros(), call.endMicros(), call.callId(), mayBeUnsaved));
            }
        }
        return effects;
    }

    private List<Effect> rowEffects(String consumer) {
        List<Effect> effects = new ArrayList<>();
        for (EffectRow row : database.effects()) {
            if (row.consumer().equals(consumer)) {
                effects.add(new Effect(
                        row.seq(), row.appliedMicros(), row.appliedMicros(), "row #" + row.applyId(), false));
            }
        }
        return effects;
    }

    // --- delivered, parked or discarded, exactly one ----------------------------------------------------

    private void checkOutcomes(FaultyConsumer consumer, List<Effect> effects, Map<Long, String> deadLetters) {
        String name = consumer.name();
        Map<Long, List<Effect>> bySeqEffects = new HashMap<>();
        for (Effect effect : effects) {
            bySeqEffects.computeIfAbsent(effect.seq(), s -> new ArrayList<>()).add(effect);
            if (!bySeq.containsKey(effect.seq())) {
                report(
                        Kind.PHANTOM_EVENT,
                        name,
                        "consumer " + name + " processed seq " + effect.seq() + ", which is not in the log",
                        List.of("by " + effect.by()));
            }
        }
        for (LogEntry entry : database.log()) {
            if (!committedEvents.contains(entry.eventId())) {
                continue; // a phantom of the log: reported by the log check
            }
            List<Effect> delivered = bySeqEffects.getOrDefault(entry.seq(), List.of());
            String letter = deadLetters.get(entry.seq());
            if (delivered.isEmpty() && letter == null) {
                report(
                        Kind.LOST_EVENT,
                        name,
                        "consumer " + name + " never got seq " + entry.seq() + " (" + entry.eventId()
                                + "), and it is not in its dead letters",
                        List.of());
            }
            if (!delivered.isEmpty()
                    && "DISCARDED".equals(letter)
                    && delivered.stream().noneMatch(Effect::mayBeUnsaved)) {
                report(
                        Kind.DELIVERED_AND_DISCARDED,
                        name,
                        "consumer " + name + " got seq " + entry.seq()
                                + ", which was also discarded from its dead letters",
                        delivered.stream().map(e -> "delivered by " + e.by()).toList());
            }
            if (consumer.transactional() && delivered.size() > 1) {
                report(
                        Kind.TRANSACTIONAL_DUPLICATE,
                        name,
                        "transactional consumer " + name + " applied seq " + entry.seq() + " " + delivered.size()
                                + " times",
                        delivered.stream().map(e -> "applied as " + e.by()).toList());
            }
        }
    }

    // --- what a handler may be handed -------------------------------------------------------------------

    /**
     * Replays the calls in order of their start, with the events resolved (delivered or discarded)
     * by then: an event handed while an earlier one of its key (every earlier one, for BLOCK) is
     * unresolved must have that one before it in the same call.
     */
    private void checkHandedOrder(
            FaultyConsumer consumer, List<HandlerCall> calls, List<Effect> effects, Map<Long, Long> discardedAt) {
        boolean perKey = consumer.policy() == FailurePolicy.PARK_KEY;
        Map<String, TreeSet<Long>> unresolved = new HashMap<>();
        for (LogEntry entry : database.log()) {
            unresolved
                    .computeIfAbsent(group(entry, perKey), g -> new TreeSet<>())
                    .add(entry.seq());
        }
        record Resolution(long micros, long seq) {}
        List<Resolution> resolutions = new ArrayList<>();
        for (Effect effect : effects) {
            resolutions.add(new Resolution(effect.startMicros(), effect.seq()));
        }
        discardedAt.forEach((seq, at) -> resolutions.add(new Resolution(at, seq)));
        resolutions.sort(Comparator.comparingLong(Resolution::micros));
        int next = 0;
        for (HandlerCall call : calls) {
            while (next < resolutions.size() && resolutions.get(next).micros() < call.startMicros()) {
                LogEntry entry = bySeq.get(resolutions.get(next).seq());
                if (entry != null) {
                    unresolved.get(group(entry, perKey)).remove(entry.seq());
                }
                next++;
            }
            Set<Long> before = new HashSet<>();
            for (long seq : call.seqs()) {
                LogEntry entry = bySeq.get(seq);
                if (entry != null) {
                    for (long earlier : unresolved.get(group(entry, perKey)).headSet(seq, false)) {
                        if (!before.contains(earlier)) {
                            report(
                                    Kind.HANDED_OUT_OF_ORDER,
                                    consumer.name(),
                                    "consumer " + consumer.name()
                                            + " (" + consumer.policy() + ") got seq " + seq
                                            + (perKey ? " of key " + entry.aggregateId() : "") + " while seq " + earlier
                                            + " was neither delivered nor discarded",
                                    List.of(call.toString()));
                            break;
                        }
                    }
                }
                before.add(seq);
            }
        }
    }

    private static String group(LogEntry entry, boolean perKey) {
        return perKey ? entry.aggregateId() : "";
    }

    // --- only planned faults are counted ----------------------------------------------------------------

    private void checkParkedFaults(FaultyConsumer consumer, Map<Long, String> deadLetters) {
        HandlerFaults faults = history.handlerFaults();
        Map<Long, Integer> attempts = new HashMap<>();
        for (History.ParkedSighting sighting : history.sightings()) {
            if (sighting.consumer().equals(consumer.name())) {
                attempts.merge(sighting.seq(), sighting.attempts(), Math::max);
            }
        }
        for (DeadLetterRow row : database.deadLetters()) {
            if (row.consumer().equals(consumer.name())) {
                attempts.merge(row.seq(), row.attempts(), Math::max);
            }
        }
        attempts.forEach((seq, counted) -> {
            LogEntry entry = bySeq.get(seq);
            if (entry == null || counted == 0) {
                return; // behind its key: never handed, nothing counted
            }
            HandlerFaults.Plan plan = faults.plan(consumer.name(), entry.eventId());
            if (plan.kind() == HandlerFaults.Kind.NONE || plan.kind() == HandlerFaults.Kind.SLOW) {
                report(
                        Kind.PARKED_WITHOUT_FAULT,
                        consumer.name(),
                        "consumer " + consumer.name() + " parked seq "
                                + seq + " with " + counted + " counted attempt(s), but its handler never failed it for"
                                + " a reason that counts (planned: " + plan.kind() + ")",
                        List.of("dead letter: " + deadLetters.getOrDefault(seq, "re-driven since")));
            }
        });
    }

    // --- one owner at a time ----------------------------------------------------------------------------

    private void checkOverlaps(String consumer, List<HandlerCall> calls) {
        List<HandlerCall> active = new ArrayList<>();
        for (HandlerCall call : calls) {
            active.removeIf(other -> other.endMicros() < call.startMicros());
            for (HandlerCall other : active) {
                if (!other.relayId().equals(call.relayId())
                        && redelivering(other.startMicros(), Math.max(other.endMicros(), call.endMicros())) == null) {
                    report(
                            Kind.OVERLAPPING_CALLS,
                            consumer,
                            "consumer " + consumer + " was in the handlers of two"
                                    + " relays at once, with no fault that may redeliver",
                            List.of(other.toString(), call.toString()));
                }
            }
            active.add(call);
        }
    }

    // --- the status tells the truth ---------------------------------------------------------------------

    private void checkStatus(
            FaultyConsumer consumer, List<HandlerCall> calls, List<Effect> effects, Map<Long, String> deadLetters) {
        String name = consumer.name();
        Map<Long, Long> deliveredBy = new HashMap<>();
        for (Effect effect : effects) {
            deliveredBy.merge(effect.seq(), effect.endMicros(), Math::min);
        }
        HandlerFaults faults = history.handlerFaults();
        for (History.StatusSample sample : history.samples()) {
            if (!sample.consumer().equals(name)) {
                continue;
            }
            if (sample.state() == ConsumerStatus.State.BLOCKED) {
                Long blocked = sample.blockedAtSeq();
                if (blocked == null || blocked != sample.checkpoint() + 1) {
                    report(
                            Kind.STALE_STATUS,
                            name,
                            "consumer " + name + " was BLOCKED at seq " + blocked + " with its checkpoint at "
                                    + sample.checkpoint(),
                            List.of(describe(sample)));
                    continue;
                }
                Long deliveredAt = deliveredBy.get(blocked);
                if (deliveredAt != null
                        && deliveredAt + STATUS_GRACE_MICROS < sample.fromMicros()
                        && redelivering(deliveredAt, sample.toMicros()) == null) {
                    report(
                            Kind.STALE_STATUS,
                            name,
                            "consumer " + name + " was still BLOCKED at seq " + blocked + " "
                                    + (sample.fromMicros() - deliveredAt) / 1000 + " ms after it was delivered",
                            List.of(describe(sample), "delivered at " + HistoryClock.format(deliveredAt)));
                }
            } else if (sample.state() == ConsumerStatus.State.WAITING_FOR_DOWNSTREAM) {
                // Stale if a call that began after the last outage had ended got its answer (a
                // success or the handler's own error) well before the read. The last outage is the
                // last to begin before the read ended: one that begins while the read runs may be
                // what it shows.
                long outageEnd = lastOutageEnd(faults, name, sample.toMicros());
                HandlerCall answered = calls.stream()
                        .filter(c -> c.startMicros() >= outageEnd
                                && c.endMicros() + STATUS_GRACE_MICROS < sample.fromMicros())
                        .findFirst()
                        .orElse(null);
                if (answered != null && redelivering(outageEnd, sample.toMicros()) == null) {
                    report(
                            Kind.STALE_STATUS,
                            name,
                            "consumer " + name + " was WAITING_FOR_DOWNSTREAM though its"
                                    + " downstream had answered after its last outage",
                            List.of(describe(sample), "answered: " + answered));
                }
            }
        }
        long open = deadLetters.values().stream()
                .filter(s -> !s.equals("DISCARDED"))
                .count();
        long head = database.log().isEmpty()
                ? 0
                : database.log().get(database.log().size() - 1).seq();
        for (History.StatusSample last : history.finalStatus()) {
            if (!last.consumer().equals(name)) {
                continue;
            }
            List<String> wrong = new ArrayList<>();
            if (last.state() != ConsumerStatus.State.RUNNING) {
                wrong.add("state " + last.state());
            }
            if (last.blockedAtSeq() != null) {
                wrong.add("blocked at seq " + last.blockedAtSeq());
            }
            if (last.lastError() != null) {
                wrong.add("last error " + last.lastError());
            }
            if (last.parkedCount() != open) {
                wrong.add(last.parkedCount() + " parked, but the table has " + open);
            }
            if (last.checkpoint() != head) {
                wrong.add("checkpoint " + last.checkpoint() + ", but the log ends at " + head);
            }
            if (!wrong.isEmpty()) {
                report(
                        Kind.STALE_STATUS,
                        name,
                        "consumer " + name + "'s status at the end, with everything delivered," + " says "
                                + String.join("; ", wrong),
                        List.of(describe(last)));
            }
        }
    }

    /** When the last outage of {@code consumer}'s downstream before {@code micros} ended. */
    private static long lastOutageEnd(HandlerFaults faults, String consumer, long micros) {
        long step = 10_000;
        long at = micros;
        long limit = micros - HandlerFaults.DOWNSTREAM_PERIOD.toNanos() / 1000 * 2;
        while (at > limit && !faults.outageAt(consumer, at)) {
            at -= step;
        }
        return at + step;
    }

    private static String describe(History.StatusSample sample) {
        return "status read " + HistoryClock.format(sample.fromMicros()) + ".." + HistoryClock.format(sample.toMicros())
                + ": " + sample.state() + ", checkpoint " + sample.checkpoint() + ", blocked at "
                + sample.blockedAtSeq() + ", " + sample.parkedCount() + " parked, last error " + sample.lastError();
    }

    /** A fault that may redeliver and overlaps {@code [from, to]}, or {@code null}. */
    private @Nullable Fault redelivering(long from, @Nullable Long to) {
        long until = to == null ? Long.MAX_VALUE : to;
        for (Fault fault : redeliveringFaults) {
            if (fault.startMicros() <= until && fault.endMicros() >= from) {
                return fault;
            }
        }
        return null;
    }

    private void report(Kind kind, String consumer, String summary, List<String> evidence) {
        int n = reported.merge(kind + "/" + consumer, 1, Integer::sum);
        if (n <= REPORTS_PER_KIND) {
            violations.add(new Violation(kind, summary, evidence));
        }
    }
}
