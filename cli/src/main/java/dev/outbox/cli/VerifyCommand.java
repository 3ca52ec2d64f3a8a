package dev.outbox.cli;

import dev.outbox.OutboxException;
import dev.outbox.OutboxSchemaException;
import picocli.CommandLine.Command;

/** {@code outbox verify}: whether the outbox tables are at the schema version relays need. */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = "Check that the outbox tables exist at the schema version this outbox needs, as a relay does when"
                + " it starts. Prints OK (exit 0), or what is missing and the migration to run (exit 1); exit 2 when"
                + " the database cannot be reached.",
        footerHeading = "%nExamples:%n",
        footer = {
            "  outbox verify --jdbc-url jdbc:postgresql://db/app --user ops --schema app",
            "  outbox verify ... || outbox migrate ...      # in a deployment script"
        })
final class VerifyCommand extends DatabaseCommand {

    @Override
    boolean needsSchema() {
        return false;
    }

    @Override
    int run(Database database) {
        try {
            database.relay().checkSchema();
        } catch (OutboxSchemaException e) {
            out().println("NOT OK: " + e.getMessage());
            out().println("With this tool: outbox migrate, with the same connection options");
            out().flush();
            return ExitCodes.PROBLEM;
        } catch (OutboxException e) {
            throw new DatabaseUnavailableException(e.getMessage(), e);
        }
        out().println("OK: " + database.tablesText() + " are at the schema version this outbox needs");
        out().flush();
        return ExitCodes.OK;
    }
}
