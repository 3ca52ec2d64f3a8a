package dev.outbox.cli;

import dev.outbox.ConsumerStatus;
import dev.outbox.DeadLetter;
import dev.outbox.DeadLetters;
import dev.outbox.OutboxException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code outbox dead-letters list|show|redrive|discard}: the events consumers parked. */
@Command(
        name = "dead-letters",
        mixinStandardHelpOptions = true,
        description = "Inspect the events consumers gave up on (parked by FailurePolicy PARK or PARK_KEY), deliver"
                + " them again, or discard them with a reason. A dead letter is named by its consumer and seq.",
        subcommands = {
            DeadLettersCommand.ListCommand.class,
            DeadLettersCommand.ShowCommand.class,
            DeadLettersCommand.RedriveCommand.class,
            DeadLettersCommand.DiscardCommand.class
        },
        synopsisSubcommandLabel = "COMMAND")
final class DeadLettersCommand implements Runnable {

    /** Dead letters read per query. */
    private static final int PAGE = 1000;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "a command is required: list, show, redrive or discard");
    }

    /** Every dead letter of {@code consumer} not discarded, in seq order, read page by page. */
    static List<DeadLetter> all(DeadLetters deadLetters, String consumer) {
        List<DeadLetter> all = new ArrayList<>();
        long after = 0;
        while (true) {
            List<DeadLetter> page = deadLetters.list(consumer, after, PAGE);
            all.addAll(page);
            if (page.size() < PAGE) {
                return all;
            }
            after = page.get(page.size() - 1).record().seq();
        }
    }

    static Optional<DeadLetter> find(DeadLetters deadLetters, String consumer, long seq) {
        return deadLetters.list(consumer, seq - 1, 1).stream()
                .filter(letter -> letter.record().seq() == seq)
                .findFirst();
    }

    static void requireConsumer(Database database, String consumer) {
        if (database.relay().status(consumer).partitions().isEmpty()) {
            throw new ProblemException("consumer '" + consumer + "' has no row in " + database.tablesText());
        }
    }

    /** The seqs given, or every dead letter's of {@code consumer} with --all: exactly one of the two. */
    static List<Long> selected(boolean all, List<Long> seqs, DeadLetters deadLetters, String consumer) {
        if (all == !seqs.isEmpty()) {
            throw new IllegalArgumentException("give the seqs of the dead letters, or --all (not both)");
        }
        return all
                ? all(deadLetters, consumer).stream()
                        .map(letter -> letter.record().seq())
                        .toList()
                : List.copyOf(new LinkedHashSet<>(seqs));
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List dead letters (parked, waiting for re-drive, being re-driven), of every consumer or"
                    + " one, in seq order.",
            footerHeading = "%nExamples:%n",
            footer = {
                "  outbox dead-letters list --jdbc-url jdbc:postgresql://db/app --user ops",
                "  outbox dead-letters list --consumer billing ... --json",
                "",
                "JSON (--json): an array of",
                "  {\"consumer\", \"seq\", \"status\", \"attempts\", \"errorClass\", \"errorMessage\",",
                "   \"firstFailedAt\", \"lastFailedAt\", \"record\": (the object of tail --json)}"
            })
    static final class ListCommand extends DatabaseCommand {

        @Option(names = "--consumer", paramLabel = "NAME", description = "Only this consumer's.")
        @Nullable
        String consumer;

        @Option(names = "--json", description = "Print one JSON array (shape below).")
        boolean json;

        @Option(
                names = "--width",
                paramLabel = "CHARS",
                defaultValue = "60",
                description = "Cut error messages to this many characters; 0: whole (default: ${DEFAULT-VALUE}).")
        int width = 60;

        @Override
        int run(Database database) {
            List<String> consumers;
            if (consumer != null) {
                requireConsumer(database, consumer);
                consumers = List.of(consumer);
            } else {
                consumers = database.relay().status().stream()
                        .map(ConsumerStatus::name)
                        .toList();
            }
            List<DeadLetter> letters = new ArrayList<>();
            for (String name : consumers) {
                letters.addAll(all(database.relay().deadLetters(), name));
            }
            PrintWriter out = out();
            if (json) {
                JsonWriter writer = new JsonWriter().beginArray();
                for (DeadLetter letter : letters) {
                    json(writer, letter, false);
                }
                out.println(writer.endArray());
            } else if (letters.isEmpty()) {
                out.println("no dead letters" + (consumer == null ? "" : " of consumer '" + consumer + "'"));
            } else {
                Table table = new Table(
                        "CONSUMER", "SEQ>", "STATUS", "ATTEMPTS>", "LAST-FAILED", "AGGREGATE", "EVENT-TYPE", "ERROR");
                for (DeadLetter letter : letters) {
                    table.row(
                            letter.consumer(),
                            letter.record().seq(),
                            letter.status(),
                            letter.attempts(),
                            Times.format(letter.lastFailedAt()),
                            Records.aggregate(letter.record()),
                            letter.record().eventType(),
                            Records.truncate(Health.oneLine(error(letter)), width));
                }
                table.print(out);
                out.println(letters.size() + " dead letter" + (letters.size() == 1 ? "" : "s"));
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "Print one dead letter in full: the error, its stack head, the attempts, and the event.",
            footerHeading = "%nExamples:%n",
            footer = {"  outbox dead-letters show billing 4711 ..."})
    static final class ShowCommand extends DatabaseCommand {

        @Parameters(index = "0", paramLabel = "CONSUMER", description = "The consumer that parked it.")
        String consumer = "";

        @Parameters(index = "1", paramLabel = "SEQ", description = "Its seq.")
        long seq;

        @Option(
                names = "--json",
                description = "Print it as one JSON object (the shape of list's, with \"stackHead\").")
        boolean json;

        @Override
        int run(Database database) {
            DeadLetter letter = find(database.relay().deadLetters(), consumer, seq)
                    .orElseThrow(() -> new ProblemException("consumer '" + consumer + "' has no dead letter at seq "
                            + seq + " (discarded ones are" + " not shown)"));
            PrintWriter out = out();
            if (json) {
                JsonWriter writer = new JsonWriter();
                json(writer, letter, true);
                out.println(writer);
            } else {
                Table fields = new Table("FIELD", "VALUE");
                fields.row("consumer", letter.consumer());
                fields.row("status", letter.status());
                fields.row("attempts", letter.attempts());
                fields.row("first failed", Times.format(letter.firstFailedAt()));
                fields.row("last failed", Times.format(letter.lastFailedAt()));
                fields.row("error class", letter.errorClass() == null ? "-" : letter.errorClass());
                fields.print(out);
                out.println();
                out.println("error: " + (letter.errorMessage() == null ? "-" : letter.errorMessage()));
                if (letter.stackHead() != null) {
                    out.println(letter.stackHead());
                }
                out.println();
                Records.printFull(out, letter.record());
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** What re-drive and discard both choose: a consumer's dead letters, by seq or all of them. */
    abstract static class SelectedLettersCommand extends DatabaseCommand {

        @Parameters(index = "0", paramLabel = "CONSUMER", description = "The consumer that parked them.")
        String consumer = "";

        @Parameters(
                index = "1..*",
                arity = "0..*",
                paramLabel = "SEQ",
                description = "The seqs of the dead letters (or --all).")
        List<Long> seqs = new ArrayList<>();

        @Option(names = "--all", description = "Every dead letter of the consumer.")
        boolean all;
    }

    @Command(
            name = "redrive",
            mixinStandardHelpOptions = true,
            description = {
                "Ask for dead letters to be delivered again, in seq order, by the relay that runs the consumer. Each is"
                        + " removed once delivered; one that fails again is parked again.",
                "With --wait the tool follows them until each is delivered or parked again (exit 1 if any was"
                        + " parked again)."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  outbox dead-letters redrive billing 4711 4712 ...",
                "  outbox dead-letters redrive billing --all ... --wait"
            })
    static final class RedriveCommand extends SelectedLettersCommand {

        private static final Duration POLL = Duration.ofMillis(200);

        @Option(names = "--wait", description = "Follow them until each is delivered or parked again.")
        boolean waitForThem;

        @Option(
                names = "--wait-timeout",
                paramLabel = "DURATION",
                converter = DurationConverter.class,
                description = "With --wait: give up (exit 1) after this long (default: as long as it takes).")
        @Nullable
        Duration waitTimeout;

        @Mixin
        ProgressOptions progress;

        @Override
        int run(Database database) throws InterruptedException {
            requireConsumer(database, consumer);
            DeadLetters deadLetters = database.relay().deadLetters();
            PrintWriter out = out();
            List<Long> chosen = selected(all, seqs, deadLetters, consumer);
            Set<Long> asked = new LinkedHashSet<>();
            List<Long> missing = new ArrayList<>();
            if (all) {
                // One statement for all of them; the list read before names what --wait follows.
                asked.addAll(chosen);
                int count = deadLetters.redriveAll(consumer);
                out.println("asked for " + count + " dead letter" + (count == 1 ? "" : "s") + " of consumer '"
                        + consumer + "' to be delivered again");
            } else {
                for (long seq : chosen) {
                    if (deadLetters.redrive(consumer, seq)) {
                        asked.add(seq);
                    } else {
                        missing.add(seq);
                    }
                }
                out.println("asked for " + asked.size() + " dead letter" + (asked.size() == 1 ? "" : "s")
                        + " of consumer '" + consumer + "' to be delivered again"
                        + (asked.isEmpty() ? "" : ": " + asked));
            }
            if (!missing.isEmpty()) {
                err().println("redrive: consumer '" + consumer + "' has no dead letter at seq " + missing);
            }
            out.flush();
            err().flush();
            int result = missing.isEmpty() ? ExitCodes.OK : ExitCodes.PROBLEM;
            if (!waitForThem || asked.isEmpty()) {
                return result;
            }
            return Math.max(result, waitForRedrive(deadLetters, asked));
        }

        /** Polls until none of {@code asked} waits for or is in a re-drive; reports delivered and parked again. */
        private int waitForRedrive(DeadLetters deadLetters, Set<Long> asked) throws InterruptedException {
            long deadline = System.nanoTime() + (waitTimeout == null ? 0 : waitTimeout.toNanos());
            int total = asked.size();
            try (Progress bar = Progress.start(progress, context(), err(), "redrive " + consumer, total)) {
                while (true) {
                    Map<Long, DeadLetter> present = new HashMap<>();
                    for (DeadLetter letter : all(deadLetters, consumer)) {
                        if (asked.contains(letter.record().seq())) {
                            present.put(letter.record().seq(), letter);
                        }
                    }
                    long pending = present.values().stream()
                            .filter(letter -> letter.status() == DeadLetter.Status.REDRIVE_REQUESTED
                                    || letter.status() == DeadLetter.Status.REDRIVING)
                            .count();
                    int delivered = total - present.size();
                    bar.update(total - pending, total, delivered + " delivered");
                    if (pending == 0) {
                        bar.finish();
                        List<Long> parkedAgain =
                                present.keySet().stream().sorted().toList();
                        out().println("delivered " + delivered + " of " + total
                                + (parkedAgain.isEmpty() ? "" : "; parked again: " + parkedAgain));
                        out().flush();
                        return parkedAgain.isEmpty() ? ExitCodes.OK : ExitCodes.PROBLEM;
                    }
                    if (waitTimeout != null && System.nanoTime() - deadline > 0) {
                        bar.finish();
                        err().println("redrive: gave up waiting after " + Durations.format(waitTimeout) + ": "
                                + delivered + " of " + total + " delivered, " + pending + " still waiting (is a relay"
                                + " running consumer '" + consumer + "'?)");
                        err().flush();
                        return ExitCodes.PROBLEM;
                    }
                    Thread.sleep(POLL.toMillis());
                }
            }
        }
    }

    @Command(
            name = "discard",
            mixinStandardHelpOptions = true,
            description = "Give dead letters up: they are never delivered to the consumer. Each row is kept with status"
                    + " DISCARDED and the reason, for audit. Refused for one being re-driven at that moment.",
            footerHeading = "%nExamples:%n",
            footer = {
                "  outbox dead-letters discard billing 4711 --reason 'see TICKET-12' ...",
                "  outbox dead-letters discard billing --all --reason 'test data' ..."
            })
    static final class DiscardCommand extends SelectedLettersCommand {

        @Option(
                names = "--reason",
                required = true,
                paramLabel = "TEXT",
                description = "Why, for whoever reads the dead-letter table later.")
        String reason = "";

        @Mixin
        ProgressOptions progress;

        @Override
        int run(Database database) {
            if (reason.isBlank()) {
                throw new IllegalArgumentException("--reason must not be blank");
            }
            requireConsumer(database, consumer);
            DeadLetters deadLetters = database.relay().deadLetters();
            List<Long> chosen = selected(all, seqs, deadLetters, consumer);
            List<Long> discarded = new ArrayList<>();
            List<Long> missing = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            try (Progress bar = Progress.start(progress, context(), err(), "discard " + consumer, chosen.size())) {
                for (long seq : chosen) {
                    try {
                        if (deadLetters.discard(consumer, seq, reason)) {
                            discarded.add(seq);
                        } else {
                            missing.add(seq);
                        }
                    } catch (OutboxException e) {
                        refused.add(e.getMessage());
                    }
                    bar.update(discarded.size() + missing.size() + refused.size(), chosen.size(), "");
                }
            }
            out().println("discarded " + discarded.size() + " dead letter" + (discarded.size() == 1 ? "" : "s")
                    + " of consumer '" + consumer + "'" + (discarded.isEmpty() ? "" : ": " + discarded));
            if (!missing.isEmpty()) {
                err().println("discard: consumer '" + consumer + "' has no dead letter at seq " + missing);
            }
            refused.forEach(message -> err().println("discard: " + message));
            out().flush();
            err().flush();
            return missing.isEmpty() && refused.isEmpty() ? ExitCodes.OK : ExitCodes.PROBLEM;
        }
    }

    private static String error(DeadLetter letter) {
        String message = letter.errorMessage() == null ? "" : letter.errorMessage();
        return letter.errorClass() == null ? message : letter.errorClass() + ": " + message;
    }

    private static void json(JsonWriter json, DeadLetter letter, boolean withStack) {
        json.beginObject();
        json.field("consumer", letter.consumer());
        json.field("seq", letter.record().seq());
        json.field("status", letter.status().name());
        json.field("attempts", letter.attempts());
        json.field("errorClass", letter.errorClass());
        json.field("errorMessage", letter.errorMessage());
        if (withStack) {
            json.field("stackHead", letter.stackHead());
        }
        json.field("firstFailedAt", letter.firstFailedAt());
        json.field("lastFailedAt", letter.lastFailedAt());
        json.name("record");
        Records.json(json, letter.record());
        json.endObject();
    }
}
