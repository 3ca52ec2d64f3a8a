package dev.outbox.cli;

import dev.outbox.OutboxException;
import java.io.PrintWriter;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code outbox} command-line tool for operators: {@code status}, {@code tail}, {@code show},
 * {@code reset}, {@code dead-letters}, {@code consumers}, {@code migrate}, {@code verify}. Run it as
 * {@code java -jar outbox-cli.jar <command> ...} or with the {@code outbox} launcher; {@code outbox
 * --help} and {@code outbox <command> --help} describe each, with examples.
 *
 * <p>Exit codes: 0 done (healthy), 1 a problem found or the operation refused, 2 the database
 * unreachable or its outbox tables missing, 64 a wrong command line.
 */
@Command(
        name = "outbox",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Inspect and operate the outbox of a PostgreSQL, MySQL or MariaDB database.",
        subcommands = {
            StatusCommand.class,
            TailCommand.class,
            ShowCommand.class,
            ResetCommand.class,
            DeadLettersCommand.class,
            ConsumersCommand.class,
            MigrateCommand.class,
            VerifyCommand.class,
            CommandLine.HelpCommand.class
        },
        synopsisSubcommandLabel = "COMMAND",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done; status: every consumer healthy",
            "1:a problem found (a consumer blocked or lagging, the schema old or missing for verify)"
                    + " or the operation refused (no such entry or consumer, a live lease)",
            "2:the database cannot be reached or logged into, or its outbox tables are missing",
            "64:a wrong command line"
        },
        footerHeading = "%nConnection (every command):%n",
        footer = {
            "  --jdbc-url, --user, --schema, --prefix, or the environment variables",
            "  OUTBOX_JDBC_URL, OUTBOX_USER, OUTBOX_SCHEMA, OUTBOX_PREFIX. The password:",
            "  --password-file, else OUTBOX_PASSWORD, else a prompt on a terminal;",
            "  never on the command line. In the examples, ... stands for these.",
            "",
            "Example:",
            "  export OUTBOX_JDBC_URL=jdbc:postgresql://db:5432/app OUTBOX_USER=ops",
            "  outbox status --max-lag 5m"
        })
public final class OutboxCli implements Runnable {

    /** Holds the java.util.logging loggers whose levels main() lowers: JUL keeps only weak references. */
    private static final Logger[] QUIETED = {Logger.getLogger("liquibase"), Logger.getLogger("org.jline")};

    private final CliContext context;

    @Spec
    CommandSpec spec;

    OutboxCli(CliContext context) {
        this.context = Objects.requireNonNull(context, "context");
    }

    /** Runs the tool and exits with its exit code. */
    public static void main(String[] args) {
        quietLibraryLogging();
        System.exit(commandLine(CliContext.system()).execute(args));
    }

    /**
     * The tool's command line for {@code context}, with its exit codes and error output set up: what
     * {@link #main(String[])} runs, and what tests run in-process.
     */
    static CommandLine commandLine(CliContext context) {
        CommandLine commandLine = new CommandLine(new OutboxCli(context));
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setUsageHelpAutoWidth(true);
        commandLine.setExecutionExceptionHandler(OutboxCli::handleExecutionException);
        commandLine.setParameterExceptionHandler(OutboxCli::handleParameterException);
        return commandLine;
    }

    CliContext context() {
        return context;
    }

    @Override
    public void run() {
        // `outbox` alone: say what there is.
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** The context of the tool that runs {@code spec}'s command. */
    static CliContext contextOf(CommandSpec spec) {
        return ((OutboxCli) spec.root().userObject()).context();
    }

    private static int handleExecutionException(
            Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        String name = commandLine.getCommandName();
        if (e instanceof DatabaseUnavailableException) {
            err.println(name + ": " + e.getMessage());
            err.flush();
            return ExitCodes.UNAVAILABLE;
        }
        if (e instanceof ProblemException || e instanceof OutboxException) {
            err.println(name + ": " + e.getMessage());
            err.flush();
            return ExitCodes.PROBLEM;
        }
        if (e instanceof IllegalArgumentException) {
            err.println(name + ": " + e.getMessage());
            err.flush();
            return ExitCodes.USAGE;
        }
        // Not expected: say what it was, with the stack for a bug report. No command puts a password
        // into an exception, and the JDBC URL given to the pool carries none (refused above).
        err.println(name + ": unexpected error: " + e);
        e.printStackTrace(err);
        err.flush();
        return ExitCodes.PROBLEM;
    }

    private static int handleParameterException(CommandLine.ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        PrintWriter err = commandLine.getErr();
        err.println(commandLine.getCommandName() + ": " + e.getMessage());
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
        }
        err.flush();
        return ExitCodes.USAGE;
    }

    /**
     * Liquibase (java.util.logging) and jline would print INFO lines to stderr; the tool says what
     * happened itself. slf4j-simple, the jar's logger, prints warnings only, and nothing of the pool,
     * whose connection failures the tool reports in one line (exit code 2).
     */
    private static void quietLibraryLogging() {
        for (Logger logger : QUIETED) {
            logger.setLevel(Level.WARNING);
        }
        QUIETED[1].setLevel(Level.OFF);
        // Defaults only: -D options in JAVA_OPTS win, for a closer look.
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setIfAbsent("org.slf4j.simpleLogger.log.com.zaxxer.hikari", "off");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
