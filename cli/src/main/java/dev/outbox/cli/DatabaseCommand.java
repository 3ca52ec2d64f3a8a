package dev.outbox.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that works on the outbox tables: connects, checks the schema (unless it is the command's
 * own subject), runs, and closes the connection. Its exit code is what {@link #run(Database)}
 * returns; exceptions map to exit codes in {@link OutboxCli}.
 */
abstract class DatabaseCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() throws InterruptedException {
        try (Database database = Database.open(connection, context())) {
            if (needsSchema()) {
                database.requireSchema();
            }
            return run(database);
        }
    }

    /** The command's work; returns its exit code. */
    abstract int run(Database database) throws InterruptedException;

    /** Whether the command needs the tables at the current version before it runs ({@code migrate} does not). */
    boolean needsSchema() {
        return true;
    }

    final CliContext context() {
        return OutboxCli.contextOf(spec);
    }

    final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    final PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
