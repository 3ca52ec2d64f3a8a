package dev.outbox.testkit.history;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One call of a {@link FaultyConsumer}'s handler, as the handler recorded it when it returned or
 * threw (a call cut off by a killed process is not recorded).
 *
 * @param consumer the consumer's name
 * @param relayId the relay that called it
 * @param callId unique id of the call ({@code <relayId>#<n>})
 * @param startMicros when the call began ({@link HistoryClock})
 * @param endMicros when it returned or threw
 * @param seqs the seqs it was handed, in order
 * @param processed how many of them, from the first, it processed before it failed (all when it
 *     succeeded): for an at-least-once consumer, its effects
 * @param outcome {@code ok}, or the simple name of what it threw
 */
public record HandlerCall(
        String consumer,
        String relayId,
        String callId,
        long startMicros,
        long endMicros,
        List<Long> seqs,
        int processed,
        String outcome) {

    public HandlerCall {
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(relayId, "relayId");
        Objects.requireNonNull(callId, "callId");
        seqs = List.copyOf(seqs);
        Objects.requireNonNull(outcome, "outcome");
    }

    /** Whether the handler returned normally. */
    public boolean succeeded() {
        return outcome.equals("ok");
    }

    /** Prefix of the lines {@link #toLine()} writes. */
    static final String LINE_PREFIX = "call\t";

    /** One line of a recording file (see {@link #parse(String)}). */
    public String toLine() {
        return LINE_PREFIX
                + String.join(
                        "\t",
                        consumer,
                        relayId,
                        callId,
                        Long.toString(startMicros),
                        Long.toString(endMicros),
                        seqs.stream().map(String::valueOf).collect(Collectors.joining(",")),
                        Integer.toString(processed),
                        outcome);
    }

    /** Whether {@code line} was written by {@link #toLine()}. */
    public static boolean isLine(String line) {
        return line.startsWith(LINE_PREFIX);
    }

    /** Reads a line written by {@link #toLine()}. */
    public static HandlerCall parse(String line) {
        String[] f = line.substring(LINE_PREFIX.length()).split("\t", -1);
        if (f.length != 8) {
            throw new IllegalArgumentException("not a handler call line: " + line);
        }
        List<Long> seqs = f[5].isEmpty()
                ? List.of()
                : Arrays.stream(f[5].split(",")).map(Long::valueOf).toList();
        return new HandlerCall(
                f[0], f[1], f[2], Long.parseLong(f[3]), Long.parseLong(f[4]), seqs, Integer.parseInt(f[6]), f[7]);
    }

    @Override
    public String toString() {
        return "call " + callId + " of " + consumer + " " + HistoryClock.format(startMicros) + ".."
                + HistoryClock.format(endMicros) + " with seqs " + summary(seqs) + ": " + outcome + " after "
                + processed;
    }

    private static String summary(List<Long> seqs) {
        if (seqs.size() <= 6) {
            return seqs.toString();
        }
        return "[" + seqs.get(0) + ", " + seqs.get(1) + ", ... " + seqs.get(seqs.size() - 1) + "] (" + seqs.size()
                + ")";
    }
}
