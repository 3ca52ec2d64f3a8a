package dev.outbox.cli;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxLog;
import dev.outbox.PartitionStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The verdict of {@code status}: what makes the outbox unhealthy (exit code 1), from what it read. A
 * pure function, tested without a database.
 */
final class Health {

    private Health() {}

    /**
     * The problems, in consumer order; empty when healthy. A consumer (or one of its partitions) that
     * is blocked is a problem whatever the limits; so is lag past any of {@code limits} (a limit of
     * entries: more entries after the checkpoint; a limit of age: its first undelivered entry
     * older), and, with an age limit, a queue whose oldest event has waited longer than that to be
     * sequenced (no relay sequences).
     */
    static List<String> problems(List<ConsumerStatus> consumers, OutboxLog.Queue queue, List<MaxLag> limits) {
        List<String> problems = new ArrayList<>();
        for (ConsumerStatus consumer : consumers) {
            boolean split = consumer.partitions().size() > 1;
            for (PartitionStatus partition : consumer.partitions()) {
                String who =
                        "consumer '" + consumer.name() + "'" + (split ? " partition " + partition.partition() : "");
                if (partition.state() == ConsumerStatus.State.BLOCKED) {
                    problems.add(who + " is blocked at seq " + partition.blockedAtSeq()
                            + (partition.lastError() == null ? "" : ": " + oneLine(partition.lastError())));
                }
            }
            for (MaxLag limit : limits) {
                if (limit.events() != null && consumer.lagEvents() > limit.events()) {
                    problems.add("consumer '" + consumer.name() + "' lags " + consumer.lagEvents()
                            + " entries, more than --max-lag " + limit);
                }
                if (limit.age() != null && consumer.lag().compareTo(limit.age()) > 0) {
                    problems.add("consumer '" + consumer.name() + "' lags " + Durations.format(consumer.lag())
                            + ", more than --max-lag " + limit);
                }
            }
        }
        for (MaxLag limit : limits) {
            Duration oldest = queue.oldest();
            if (limit.age() != null && oldest != null && oldest.compareTo(limit.age()) > 0) {
                problems.add("the queue's oldest event has waited " + Durations.format(oldest)
                        + " to be sequenced, more than --max-lag " + limit + ": is a relay running?");
            }
        }
        return problems;
    }

    /** An error message on one line, at most 200 characters. */
    static String oneLine(String text) {
        String flat = text.replaceAll("\\s*[\\r\\n]+\\s*", " | ");
        return flat.length() > 200 ? flat.substring(0, 197) + "..." : flat;
    }
}
