package dev.outbox.cli;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxLog;
import dev.outbox.OutboxRelay;
import dev.outbox.PartitionStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code outbox reset CONSUMER --to-...}: moves a consumer's checkpoint, to replay the log or skip
 * ahead. Prints the plan and changes nothing unless {@code --execute} is given (as {@code
 * kafka-consumer-groups --reset-offsets} does).
 */
@Command(
        name = "reset",
        mixinStandardHelpOptions = true,
        description = {
            "Move a consumer's checkpoint: its next delivery starts at the seq chosen, replaying the log from there or"
                    + " skipping ahead. Prints what it would do (checkpoint before and after, entries to replay or"
                    + " skip) and changes nothing unless --execute is given.",
            "The relay that runs the consumer finds its lease fenced, abandons its current batch's checkpoint and"
                    + " continues from the new one. With --execute --wait the tool follows the consumer until its"
                    + " checkpoint reaches the log's head as it was at the reset."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  outbox reset search-index --to-seq 1 ...         # dry run: the plan",
            "  outbox reset search-index --to-seq 1 ... --execute --wait    # replay",
            "  outbox reset search-index --to-time 2026-05-01T00:00:00Z ... --execute",
            "  outbox reset search-index --to-time 2h ... --execute  # last 2 hours",
            "  outbox reset billing --to-head ... --execute     # skip all so far",
            "  outbox reset to-kafka --partition 3 --to-seq 1200 ... --execute"
        })
final class ResetCommand extends DatabaseCommand {

    /** How often --wait reads the consumer's checkpoint. */
    private static final Duration POLL = Duration.ofMillis(200);

    /** How long the consumer must have no owner before --wait says so. */
    private static final Duration STOPPED_NOTICE = Duration.ofSeconds(5);

    @Parameters(index = "0", paramLabel = "CONSUMER", description = "The consumer's name.")
    String consumer = "";

    @ArgGroup(multiplicity = "1")
    Target target;

    /** Where the checkpoint goes: exactly one. */
    static final class Target {
        @Option(
                names = "--to-seq",
                paramLabel = "SEQ",
                description = "Next delivery at SEQ (the checkpoint becomes SEQ - 1).")
        @Nullable
        Long seq;

        @Option(names = "--to-earliest", description = "Next delivery at the lowest seq the log still holds.")
        boolean earliest;

        @Option(names = "--to-head", description = "Skip every entry written so far: the checkpoint becomes the head.")
        boolean head;

        @Option(
                names = "--to-time",
                paramLabel = "TIME",
                description = "Next delivery at the first entry sequenced at or after TIME: ISO-8601 with an offset"
                        + " (2026-05-01T12:00:00Z) or a duration back from now (90m, 2h, 1d).")
        @Nullable
        String time;
    }

    @Option(
            names = "--partition",
            paramLabel = "K",
            description = "Reset only partition K of a split consumer (the others keep their checkpoints).")
    @Nullable
    Integer partition;

    @Option(names = "--execute", description = "Do it. Without it the command only prints what it would do.")
    boolean execute;

    @Option(
            names = "--wait",
            description = "With --execute: follow the consumer until its checkpoint reaches the head as of the reset;"
                    + " exit 1 if it blocks.")
    boolean waitForCatchUp;

    @Option(
            names = "--wait-timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "With --wait: give up (exit 1) after this long (default: wait as long as it takes).")
    @Nullable
    Duration waitTimeout;

    @Mixin
    ProgressOptions progress;

    @Override
    int run(Database database) throws InterruptedException {
        if (waitForCatchUp && !execute) {
            throw new IllegalArgumentException("--wait needs --execute: a dry run has nothing to wait for");
        }
        OutboxRelay relay = database.relay();
        ConsumerStatus status = relay.status(consumer);
        if (status.partitions().isEmpty()) {
            List<String> names =
                    relay.status().stream().map(ConsumerStatus::name).toList();
            throw new ProblemException("consumer '" + consumer + "' has no row in " + database.tablesText()
                    + (names.isEmpty()
                            ? " (there are no consumers)"
                            : " (consumers: " + String.join(", ", names) + ")"));
        }
        int partitions = status.partitions().size();
        if (partition != null && (partition < 0 || partition >= partitions)) {
            throw new IllegalArgumentException("--partition " + partition + ": consumer '" + consumer + "' has "
                    + (partitions == 1 ? "one partition, 0" : "partitions 0 to " + (partitions - 1)));
        }
        OutboxLog log = database.log();
        long head = log.head();
        long lowest = log.lowestRetained();
        long fromSeq = fromSeq(log, head, lowest);
        long newCheckpoint = fromSeq - 1;

        PrintWriter out = out();
        out.println("consumer '" + consumer + "' in " + database.tablesText() + ": log head " + head
                + ", lowest retained " + lowest + "; next delivery at seq " + fromSeq);
        for (PartitionStatus each : status.partitions()) {
            if (partition != null && each.partition() != partition) {
                continue;
            }
            String who = partitions == 1 ? "  " : "  partition " + each.partition() + ": ";
            out.println(who + "checkpoint " + each.checkpoint() + " -> " + newCheckpoint + ": "
                    + change(each.checkpoint(), newCheckpoint, partitions > 1));
        }
        if (status.owner() != null) {
            out.println("  relay " + status.owner() + " runs it now: it stops its current batch and continues"
                    + " from the new checkpoint");
        }
        if (!execute) {
            out.println("dry run: nothing changed; add --execute to reset");
            out.flush();
            return ExitCodes.OK;
        }
        if (partition == null) {
            relay.resetConsumer(consumer, fromSeq);
        } else {
            try (OutboxRelay declaring = database.relayDeclaring(consumer, partitions)) {
                declaring.resetPartition(consumer, partition, fromSeq);
            }
        }
        out.println("reset: consumer '" + consumer + "'" + (partition == null ? "" : " partition " + partition)
                + " continues from seq " + fromSeq);
        out.flush();
        if (!waitForCatchUp || newCheckpoint >= head) {
            return ExitCodes.OK;
        }
        return waitForCatchUp(relay, newCheckpoint, head);
    }

    private long fromSeq(OutboxLog log, long head, long lowest) {
        long fromSeq;
        if (target.seq != null) {
            fromSeq = target.seq;
            if (fromSeq < 1) {
                throw new IllegalArgumentException("--to-seq must be >= 1, was " + fromSeq);
            }
        } else if (target.earliest) {
            fromSeq = lowest;
        } else if (target.head) {
            fromSeq = head + 1;
        } else {
            Instant time = Times.parse(
                    target.time == null ? "" : target.time, context().clock());
            fromSeq = log.firstSeqSequencedAtOrAfter(time);
        }
        if (fromSeq > head + 1) {
            throw new ProblemException("--to-seq " + fromSeq + " is past the log's head " + head
                    + ": the consumer would skip entries not written yet; --to-head skips everything written so far");
        }
        if (fromSeq < lowest) {
            throw new ProblemException(
                    "seq " + fromSeq + " was removed by retention: the lowest entry the log holds is " + lowest
                            + " (--to-earliest, or --to-seq " + lowest + ")");
        }
        return fromSeq;
    }

    /** What moving {@code from} to {@code to} does, in log entries (of every partition, for a split consumer). */
    private static String change(long from, long to, boolean split) {
        String entries = split ? " log entries (of all partitions)" : " entries";
        if (to < from) {
            return "replays " + (from - to) + entries + " (seq " + (to + 1) + " to " + from + ")";
        }
        if (to > from) {
            return "skips " + (to - from) + entries + " (seq " + (from + 1) + " to " + to + ")";
        }
        return "unchanged";
    }

    /**
     * Follows the consumer (or the partition) until its checkpoint reaches {@code target}: 0 when it
     * did, 1 when it blocked or the wait timed out.
     */
    private int waitForCatchUp(OutboxRelay relay, long start, long target) throws InterruptedException {
        PrintWriter out = out();
        long total = target - start;
        long deadline = System.nanoTime() + (waitTimeout == null ? 0 : waitTimeout.toNanos());
        long began = System.nanoTime();
        long stoppedSince = -1;
        boolean saidStopped = false;
        long checkpoint = start;
        try (Progress bar = Progress.start(progress, context(), err(), "replay " + consumer, total)) {
            while (true) {
                PartitionStatus now = watched(relay.status(consumer));
                checkpoint = now.checkpoint();
                // Right after a reset the owner's lease is fenced and the consumer shows STOPPED until
                // a relay takes it again: only a longer stop is worth a word.
                stoppedSince = now.state() != ConsumerStatus.State.STOPPED
                        ? -1
                        : stoppedSince < 0 ? System.nanoTime() : stoppedSince;
                boolean stoppedLong = stoppedSince >= 0 && System.nanoTime() - stoppedSince > STOPPED_NOTICE.toNanos();
                bar.update(
                        Math.max(0, Math.min(total, checkpoint - start)),
                        total,
                        "checkpoint " + checkpoint + (stoppedLong ? ", no relay runs it" : ""));
                if (checkpoint >= target) {
                    break;
                }
                if (now.state() == ConsumerStatus.State.BLOCKED) {
                    bar.finish();
                    err().println("reset: consumer '" + consumer + "' is blocked at seq " + now.blockedAtSeq()
                            + (now.lastError() == null ? "" : ": " + Health.oneLine(now.lastError())));
                    err().flush();
                    return ExitCodes.PROBLEM;
                }
                if (stoppedLong && !saidStopped && !bar.visible()) {
                    err().println("reset: no relay runs consumer '" + consumer + "' now; waiting for one to take it");
                    err().flush();
                    saidStopped = true;
                }
                if (waitTimeout != null && System.nanoTime() - deadline > 0) {
                    bar.finish();
                    err().println("reset: gave up waiting after " + Durations.format(waitTimeout) + " at checkpoint "
                            + checkpoint + " of " + target);
                    err().flush();
                    return ExitCodes.PROBLEM;
                }
                Thread.sleep(POLL.toMillis());
            }
        }
        out.println("caught up: checkpoint " + checkpoint + " reached the head as of the reset (" + target + "), "
                + total + " entries in " + Durations.format(Duration.ofNanos(System.nanoTime() - began)));
        out.flush();
        return ExitCodes.OK;
    }

    /** The partition --wait follows: the one reset, or the consumer as a whole (its lowest checkpoint). */
    private PartitionStatus watched(ConsumerStatus status) {
        if (partition != null) {
            return status.partitions().get(partition);
        }
        return new PartitionStatus(
                0,
                status.state(),
                status.owner(),
                status.checkpoint(),
                status.lagEvents(),
                status.lag(),
                status.blockedAtSeq(),
                status.waitingSince(),
                status.lastError(),
                status.lastErrorAt(),
                status.parkedCount());
    }
}
