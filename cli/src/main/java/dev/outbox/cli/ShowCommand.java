package dev.outbox.cli;

import dev.outbox.OutboxLog;
import dev.outbox.OutboxRecord;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code outbox show SEQ}: one log entry in full. */
@Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = "Print one log entry in full: its fields, its headers and the whole payload. Exit code 1 when"
                + " the log does not hold it (not written yet, or removed by retention).",
        footerHeading = "%nExamples:%n",
        footer = {
            "  outbox show 4711 --jdbc-url jdbc:postgresql://db/app --user ops",
            "  outbox show 4711 ... --json | jq -r .payload",
            "",
            "JSON (--json): the object of `outbox tail --json`."
        })
final class ShowCommand extends DatabaseCommand {

    @Parameters(index = "0", paramLabel = "SEQ", description = "The entry's seq.")
    long seq;

    @Option(names = "--json", description = "Print the entry as one JSON object.")
    boolean json;

    @Override
    int run(Database database) {
        OutboxLog log = database.log();
        Optional<OutboxRecord> entry = log.entry(seq);
        if (entry.isEmpty()) {
            long head = log.head();
            long lowest = log.lowestRetained();
            String why = seq > head
                    ? "the log's head is " + head
                    : seq < lowest ? "retention removed it (the lowest retained is " + lowest + ")" : "it is not there";
            throw new ProblemException("seq " + seq + " is not in the log: " + why);
        }
        if (json) {
            JsonWriter writer = new JsonWriter();
            Records.json(writer, entry.get());
            out().println(writer);
        } else {
            Records.printFull(out(), entry.get());
        }
        out().flush();
        return ExitCodes.OK;
    }
}
