package dev.outbox.testsupport.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The judge of a publisher's history: what the database committed (the log), what Kafka holds (each
 * partition's records in offset order, as a {@code read_committed} consumer reads them), what the
 * relays handed to the publisher (each call's entries and when it ran) and when faults happened.
 *
 * <ul>
 *   <li>Both modes: every entry of the log is in Kafka ({@code MISSING} otherwise); a record of no
 *       entry is a {@code PHANTOM}.
 *   <li>At least once: in each partition, each record of a key is a re-send of one of the key seen
 *       before, or later in seq than all of them ({@code NEW_BEFORE_OLD} otherwise: the 2, 3, 1 of a
 *       retry); an entry found more than once was handed to the publisher at least that often, and
 *       every handing but the last overlapped a fault ({@code UNEXPLAINED_DUPLICATE} otherwise).
 *   <li>Exactly once: every entry once ({@code DUPLICATE}), each key's records in seq order ({@code
 *       OUT_OF_ORDER}).
 * </ul>
 *
 * Pure: no I/O; its own tests feed it made-up histories. Shared by the Kafka publisher's history run and
 * the Kafka Connect source connector's.
 */
public final class PublisherHistory {

    /** A record Kafka holds: its partition, the entry's key and seq (from the {@code outbox-seq} header). */
    public record Published(int partition, String key, long seq) {}

    /** A call of the publisher: the seqs it was handed, from {@code start} to {@code end} (Long.MAX_VALUE: never ended). */
    public record Handing(List<Long> seqs, long start, long end) {}

    /** A fault from {@code start} to {@code end} (epoch milliseconds). */
    public record Window(String fault, long start, long end) {}

    /** What went wrong, about which seq. */
    public record Violation(String kind, long seq, String detail) {
        @Override
        public String toString() {
            return kind + " seq " + seq + ": " + detail;
        }
    }

    private final Map<Long, String> log;
    private final List<Published> published;

    /**
     * @param log the key of every entry of the log, by seq
     * @param published what Kafka holds, each partition's records in offset order
     */
    public PublisherHistory(Map<Long, String> log, List<Published> published) {
        this.log = Map.copyOf(log);
        this.published = List.copyOf(published);
    }

    private List<Violation> everyEntryOnceAtLeast() {
        List<Violation> violations = new ArrayList<>();
        Set<Long> found = new HashSet<>();
        for (Published record : published) {
            String key = log.get(record.seq());
            if (key == null || !key.equals(record.key())) {
                violations.add(new Violation(
                        "PHANTOM",
                        record.seq(),
                        "key '" + record.key() + "' in partition " + record.partition() + ", the log has "
                                + (key == null ? "no such entry" : "key '" + key + "'")));
            }
            found.add(record.seq());
        }
        new TreeMap<>(log)
                .keySet().stream()
                        .filter(seq -> !found.contains(seq))
                        .forEach(seq -> violations.add(new Violation("MISSING", seq, "key '" + log.get(seq) + "'")));
        return violations;
    }

    private Map<Long, Integer> counts() {
        Map<Long, Integer> counts = new HashMap<>();
        published.forEach(record -> counts.merge(record.seq(), 1, Integer::sum));
        return counts;
    }

    /** The violations of an at-least-once history, with the relays' {@code handings} and the {@code faults}. */
    public List<Violation> checkAtLeastOnce(List<Handing> handings, List<Window> faults, long marginMillis) {
        List<Violation> violations = everyEntryOnceAtLeast();
        Map<String, Set<Long>> seenOfKey = new HashMap<>();
        Map<String, Long> newestOfKey = new HashMap<>();
        for (Published record : published) {
            Set<Long> seen = seenOfKey.computeIfAbsent(record.key(), k -> new HashSet<>());
            long newest = newestOfKey.getOrDefault(record.key(), 0L);
            if (!seen.contains(record.seq()) && record.seq() < newest) {
                violations.add(new Violation(
                        "NEW_BEFORE_OLD",
                        record.seq(),
                        "key '" + record.key() + "' in partition " + record.partition() + " after seq " + newest
                                + " of the key"));
            }
            seen.add(record.seq());
            newestOfKey.put(record.key(), Math.max(newest, record.seq()));
        }
        Map<Long, List<Handing>> handingsOf = new HashMap<>();
        for (Handing handing : handings) {
            handing.seqs()
                    .forEach(seq -> handingsOf
                            .computeIfAbsent(seq, s -> new ArrayList<>())
                            .add(handing));
        }
        counts().forEach((seq, count) -> {
            if (count < 2) {
                return;
            }
            List<Handing> of = new ArrayList<>(handingsOf.getOrDefault(seq, List.of()));
            of.sort(Comparator.comparingLong(Handing::start));
            if (of.size() < count) {
                violations.add(new Violation(
                        "UNEXPLAINED_DUPLICATE",
                        seq,
                        count + " records but handed to the" + " publisher " + of.size() + " time(s)"));
                return;
            }
            for (Handing handing : of.subList(0, of.size() - 1)) {
                if (faults.stream().noneMatch(fault -> overlaps(handing, fault, marginMillis))) {
                    violations.add(new Violation(
                            "UNEXPLAINED_DUPLICATE",
                            seq,
                            count + " records; a handing from "
                                    + handing.start() + " to " + handing.end()
                                    + " was followed by another, with no fault"
                                    + " during it"));
                    return;
                }
            }
        });
        return violations;
    }

    /** The violations of an exactly-once history. */
    public List<Violation> checkExactlyOnce() {
        List<Violation> violations = everyEntryOnceAtLeast();
        counts().forEach((seq, count) -> {
            if (count > 1) {
                violations.add(new Violation("DUPLICATE", seq, count + " records"));
            }
        });
        Map<String, Long> newestOfKey = new HashMap<>();
        for (Published record : published) {
            long newest = newestOfKey.getOrDefault(record.key(), 0L);
            if (record.seq() <= newest) {
                violations.add(new Violation(
                        "OUT_OF_ORDER",
                        record.seq(),
                        "key '" + record.key() + "' in partition " + record.partition() + " after seq " + newest));
            }
            newestOfKey.put(record.key(), Math.max(newest, record.seq()));
        }
        return violations;
    }

    /** Records Kafka holds more than once. */
    public long duplicates() {
        return counts().values().stream().mapToLong(count -> count - 1).sum();
    }

    private static boolean overlaps(Handing handing, Window fault, long marginMillis) {
        return handing.start() <= fault.end() + marginMillis && handing.end() >= fault.start();
    }
}
