package dev.outbox.cli;

import dev.outbox.ConsumerStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code outbox consumers delete NAME}: retire a consumer's row so that log retention can move on. */
@Command(
        name = "consumers",
        mixinStandardHelpOptions = true,
        description = "Manage consumer rows. (`outbox status` lists them.)",
        subcommands = {ConsumersCommand.DeleteCommand.class},
        synopsisSubcommandLabel = "COMMAND")
final class ConsumersCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: delete");
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = {
                "Delete a retired consumer: its checkpoint row and its dead letters (discarded ones included). A"
                        + " consumer row holds log retention back for as long as it exists, even when no relay runs"
                        + " it any more.",
                "Refused (exit 1) while a relay holds the consumer's lease: remove it from that relay's consumers and"
                        + " restart the relay first. A relay that registers the name later starts it afresh."
            },
            footerHeading = "%nExamples:%n",
            footer = {"  outbox consumers delete old-search-index ..."})
    static final class DeleteCommand extends DatabaseCommand {

        @Parameters(index = "0", paramLabel = "NAME", description = "The consumer's name.")
        String name = "";

        @Override
        int run(Database database) {
            ConsumerStatus before = database.relay().status(name);
            if (before.partitions().isEmpty()) {
                throw new ProblemException("consumer '" + name + "' has no row in " + database.tablesText());
            }
            // Core refuses while a lease is live, in the same transaction as the delete.
            if (!database.relay().deleteConsumer(name)) {
                throw new ProblemException("consumer '" + name + "' has no row in " + database.tablesText());
            }
            out().println("deleted consumer '" + name + "' (checkpoint " + before.checkpoint() + ", "
                    + before.partitions().size() + " partition"
                    + (before.partitions().size() == 1 ? "" : "s") + ", "
                    + before.parkedCount() + " dead letter" + (before.parkedCount() == 1 ? "" : "s")
                    + "): log retention no longer waits for it");
            out().flush();
            return ExitCodes.OK;
        }
    }
}
