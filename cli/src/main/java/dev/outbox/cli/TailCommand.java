package dev.outbox.cli;

import dev.outbox.OutboxLog;
import dev.outbox.OutboxRecord;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code outbox tail}: log entries one per line, and with {@code --follow} new ones as they come. */
@Command(
        name = "tail",
        mixinStandardHelpOptions = true,
        description = {
            "Print log entries one per line: seq, sequenced at, aggregate type/id, event type, event id, payload"
                    + " (cut to --width).",
            "By default the last 20; --from SEQ starts there. --follow then polls for new entries until interrupted"
                    + " (Ctrl-C)."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  outbox tail --jdbc-url jdbc:mariadb://db:3306/app --user ops",
            "  outbox tail ... --from 4711 --follow",
            "  outbox tail ... --last 100 --json | jq -c 'select(.eventType == \"Paid\")'",
            "",
            "JSON (--json): one object per line:",
            "  {\"seq\", \"eventId\", \"aggregateType\", \"aggregateId\", \"eventType\",",
            "   \"createdAt\", \"sequencedAt\", \"headers\": {name: value}, \"payload\"}"
        })
final class TailCommand extends DatabaseCommand {

    /** Entries read per query. */
    private static final int PAGE = 500;

    @Option(
            names = "--from",
            paramLabel = "SEQ",
            description = "First seq to print (default: the last --last entries).")
    @Nullable
    Long from;

    @Option(
            names = {"-n", "--last"},
            paramLabel = "N",
            defaultValue = "20",
            description = "Without --from: print the last N entries (default: ${DEFAULT-VALUE}).")
    int last = 20;

    @Option(
            names = {"-f", "--follow"},
            description = "Keep polling for new entries until interrupted.")
    boolean follow;

    @Option(
            names = "--interval",
            paramLabel = "DURATION",
            defaultValue = "1s",
            converter = DurationConverter.class,
            description = "With --follow: how long to wait when no new entry was there (default: ${DEFAULT-VALUE}).")
    Duration interval = Duration.ofSeconds(1);

    @Option(
            names = "--width",
            paramLabel = "CHARS",
            defaultValue = "80",
            description = "Cut payloads to this many characters; 0: print them whole (default: ${DEFAULT-VALUE}).")
    int width = 80;

    @Option(names = "--json", description = "One JSON object per entry and line (shape below), the payload whole.")
    boolean json;

    @Override
    int run(Database database) {
        if (from != null && from < 1) {
            throw new IllegalArgumentException("--from must be >= 1, was " + from);
        }
        if (last < 0) {
            throw new IllegalArgumentException("--last must be >= 0, was " + last);
        }
        if (interval.isZero()) {
            throw new IllegalArgumentException("--interval must be positive");
        }
        OutboxLog log = database.log();
        long next = from != null ? from : Math.max(1, log.head() - last + 1);
        PrintWriter out = out();
        while (true) {
            List<OutboxRecord> page = log.read(next, PAGE);
            for (OutboxRecord record : page) {
                out.println(format(record));
                next = record.seq() + 1;
            }
            out.flush();
            if (page.size() == PAGE) {
                continue;
            }
            if (!follow) {
                return ExitCodes.OK;
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                // Interrupted while following: the normal way to stop, not an error.
                Thread.currentThread().interrupt();
                return ExitCodes.OK;
            }
        }
    }

    private String format(OutboxRecord record) {
        if (!json) {
            return Records.line(record, width);
        }
        JsonWriter writer = new JsonWriter();
        Records.json(writer, record);
        return writer.toString();
    }
}
