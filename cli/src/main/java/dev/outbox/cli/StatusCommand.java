package dev.outbox.cli;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxLog;
import dev.outbox.PartitionStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code outbox status}: the log, the queue and every consumer row; exit code 1 when one is unhealthy. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = {
            "Show the log head, the queue, and every consumer row (whether a relay registers it or not): state,"
                    + " owner, checkpoint, lag in entries and time, blocked seq, parked dead letters, partitions,"
                    + " last error.",
            "Exit code 1 when a consumer is blocked or lags past --max-lag, 2 when the database cannot be reached or"
                    + " has no outbox tables: usable from cron, CI and probes."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  outbox status --jdbc-url jdbc:postgresql://db/app --user ops",
            "  outbox status ... --max-lag 5m --max-lag 100000",
            "      # unhealthy past 5 minutes or 100,000 entries of lag",
            "  outbox status ... --json | jq '.consumers[] | select(.state == \"BLOCKED\")'",
            "",
            "JSON (--json): one object; times are ISO-8601 UTC strings, durations",
            "whole milliseconds, absent values null:",
            "  {\"healthy\": true|false, \"problems\": [\"...\"],",
            "   \"log\": {\"head\", \"lowestRetained\",",
            "     \"queue\": {\"waiting\", \"countCapped\", \"oldestMillis\",",
            "       \"sinceLastSequencedMillis\", \"readAt\"}},",
            "   \"consumers\": [{\"name\", \"state\", \"owner\", \"checkpoint\",",
            "     \"lagEvents\", \"lagMillis\", \"blockedAtSeq\", \"waitingSince\",",
            "     \"lastError\", \"lastErrorAt\", \"parkedCount\",",
            "     \"partitions\": [{\"partition\", then the fields from \"state\" on}]}]}"
        })
final class StatusCommand extends DatabaseCommand {

    /** How many waiting events the queue count reads at most: a bounded probe. */
    private static final int QUEUE_COUNT_LIMIT = 100_000;

    @Option(
            names = "--max-lag",
            paramLabel = "LIMIT",
            converter = MaxLag.Converter.class,
            description = "Unhealthy (exit 1) when a consumer lags past this: a count of log entries (100000) or an"
                    + " age of its oldest undelivered entry (5m, 1h30m); an age also applies to the queue's oldest"
                    + " event. Repeatable. Without it only blocked consumers are unhealthy.")
    List<MaxLag> maxLag = new ArrayList<>();

    @Option(names = "--consumer", paramLabel = "NAME", description = "Only this consumer (repeatable).")
    List<String> only = new ArrayList<>();

    @Option(names = "--json", description = "Print one JSON object (shape below) instead of the table.")
    boolean json;

    @Override
    int run(Database database) {
        OutboxLog log = database.log();
        OutboxLog.Queue queue = log.queue(QUEUE_COUNT_LIMIT);
        long head = log.head();
        long lowestRetained = log.lowestRetained();
        List<ConsumerStatus> consumers = new ArrayList<>();
        if (only.isEmpty()) {
            consumers.addAll(database.relay().status());
        } else {
            for (String name : only) {
                ConsumerStatus status = database.relay().status(name);
                if (status.partitions().isEmpty()) {
                    throw new ProblemException("consumer '" + name + "' has no row in " + database.tablesText());
                }
                consumers.add(status);
            }
        }
        List<String> problems = Health.problems(consumers, queue, maxLag);
        if (json) {
            printJson(head, lowestRetained, queue, consumers, problems);
        } else {
            printTable(database, head, lowestRetained, queue, consumers, problems);
        }
        return problems.isEmpty() ? ExitCodes.OK : ExitCodes.PROBLEM;
    }

    private void printTable(
            Database database,
            long head,
            long lowestRetained,
            OutboxLog.Queue queue,
            List<ConsumerStatus> consumers,
            List<String> problems) {
        PrintWriter out = out();
        out.println("tables  " + database.tablesText());
        out.println("log     head " + head + ", lowest retained " + lowestRetained + ", last sequenced "
                + ago(queue.sinceLastSequenced()));
        out.println("queue   " + queue.waiting() + (queue.countCapped() ? "+" : "") + " waiting"
                + (queue.oldest() == null ? "" : ", oldest " + Durations.format(queue.oldest())));
        out.println();
        if (consumers.isEmpty()) {
            out.println("no consumers");
        } else {
            Table table = new Table(
                    "CONSUMER",
                    "STATE",
                    "OWNER",
                    "CHECKPOINT>",
                    "LAG>",
                    "LAG-TIME>",
                    "BLOCKED-AT>",
                    "PARKED>",
                    "PARTITIONS>",
                    "LAST-ERROR");
            for (ConsumerStatus consumer : consumers) {
                table.row(
                        consumer.name(),
                        consumer.state(),
                        orDash(consumer.owner()),
                        consumer.checkpoint(),
                        consumer.lagEvents(),
                        Durations.format(consumer.lag()),
                        orDash(consumer.blockedAtSeq()),
                        consumer.parkedCount(),
                        consumer.partitions().size(),
                        error(consumer.lastError(), consumer.lastErrorAt()));
                if (consumer.partitions().size() > 1) {
                    for (PartitionStatus partition : consumer.partitions()) {
                        table.row(
                                "  [" + partition.partition() + "]",
                                partition.state(),
                                orDash(partition.owner()),
                                partition.checkpoint(),
                                partition.lagEvents(),
                                Durations.format(partition.lag()),
                                orDash(partition.blockedAtSeq()),
                                partition.parkedCount(),
                                "",
                                error(partition.lastError(), partition.lastErrorAt()));
                    }
                }
            }
            table.print(out);
        }
        out.println();
        if (problems.isEmpty()) {
            out.println("healthy");
        } else {
            for (String problem : problems) {
                out.println("UNHEALTHY: " + problem);
            }
        }
        out.flush();
    }

    private void printJson(
            long head,
            long lowestRetained,
            OutboxLog.Queue queue,
            List<ConsumerStatus> consumers,
            List<String> problems) {
        JsonWriter json = new JsonWriter().beginObject();
        json.field("healthy", problems.isEmpty());
        json.name("problems").beginArray();
        problems.forEach(json::value);
        json.endArray();
        json.name("log").beginObject();
        json.field("head", head);
        json.field("lowestRetained", lowestRetained);
        json.name("queue").beginObject();
        json.field("waiting", queue.waiting());
        json.field("countCapped", queue.countCapped());
        json.millisField("oldestMillis", queue.oldest());
        json.millisField("sinceLastSequencedMillis", queue.sinceLastSequenced());
        json.field("readAt", queue.readAt());
        json.endObject();
        json.endObject();
        json.name("consumers").beginArray();
        for (ConsumerStatus consumer : consumers) {
            json.beginObject();
            json.field("name", consumer.name());
            json.field("state", consumer.state().name());
            json.field("owner", consumer.owner());
            json.field("checkpoint", consumer.checkpoint());
            json.field("lagEvents", consumer.lagEvents());
            json.millisField("lagMillis", consumer.lag());
            json.field("blockedAtSeq", consumer.blockedAtSeq());
            json.field("waitingSince", consumer.waitingSince());
            json.field("lastError", consumer.lastError());
            json.field("lastErrorAt", consumer.lastErrorAt());
            json.field("parkedCount", consumer.parkedCount());
            json.name("partitions").beginArray();
            for (PartitionStatus partition : consumer.partitions()) {
                json.beginObject();
                json.field("partition", partition.partition());
                json.field("state", partition.state().name());
                json.field("owner", partition.owner());
                json.field("checkpoint", partition.checkpoint());
                json.field("lagEvents", partition.lagEvents());
                json.millisField("lagMillis", partition.lag());
                json.field("blockedAtSeq", partition.blockedAtSeq());
                json.field("waitingSince", partition.waitingSince());
                json.field("lastError", partition.lastError());
                json.field("lastErrorAt", partition.lastErrorAt());
                json.field("parkedCount", partition.parkedCount());
                json.endObject();
            }
            json.endArray();
            json.endObject();
        }
        json.endArray();
        json.endObject();
        out().println(json);
        out().flush();
    }

    private static String ago(@Nullable Duration duration) {
        return duration == null ? "never (the log holds no entry)" : Durations.format(duration) + " ago";
    }

    private static String orDash(@Nullable Object value) {
        return value == null ? "-" : value.toString();
    }

    private static String error(@Nullable String error, @Nullable Instant at) {
        if (error == null) {
            return "-";
        }
        String line = Health.oneLine(error);
        if (line.length() > 80) {
            line = line.substring(0, 77) + "...";
        }
        return at == null ? line : Times.format(at) + " " + line;
    }
}
