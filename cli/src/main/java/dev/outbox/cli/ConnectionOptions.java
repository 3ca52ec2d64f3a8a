package dev.outbox.cli;

import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxTables;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options every command that reads the database takes: where it is, who logs in, and where the
 * outbox tables are. There is deliberately no password option: a command-line argument is visible
 * to every user of the machine (process list) and stays in shell histories.
 */
final class ConnectionOptions {

    /** The environment variable a password is read from. */
    static final String PASSWORD_VARIABLE = "OUTBOX_PASSWORD";

    @Option(
            names = "--jdbc-url",
            required = true,
            defaultValue = "${env:OUTBOX_JDBC_URL}",
            paramLabel = "URL",
            description = "JDBC URL: jdbc:postgresql://..., jdbc:mariadb://..., jdbc:mysql://... (env OUTBOX_JDBC_URL)."
                    + " A URL that carries a password is refused.")
    @Nullable
    String jdbcUrl;

    @Option(
            names = "--user",
            defaultValue = "${env:OUTBOX_USER}",
            paramLabel = "USER",
            description = "Database user (env OUTBOX_USER).")
    @Nullable
    String user;

    @Option(
            names = "--password-file",
            paramLabel = "FILE",
            description = "Read the password from this file (its first line). Else the OUTBOX_PASSWORD environment"
                    + " variable, else a prompt on a terminal.")
    @Nullable
    Path passwordFile;

    @Spec(Spec.Target.MIXEE)
    @Nullable
    CommandSpec command;

    /**
     * A password on the command line is refused with a message of its own, and without repeating the
     * value (picocli's message for an unknown option would quote it).
     */
    @Option(
            names = {"--password", "-p"},
            hidden = true,
            arity = "0..1",
            paramLabel = "REFUSED")
    void refusePasswordOption(String ignored) {
        throw new ParameterException(
                command == null ? null : command.commandLine(),
                "there is no --password option: a password on the command line is visible to every user of the"
                        + " machine and stays in shell histories. Use the OUTBOX_PASSWORD environment variable,"
                        + " --password-file, or the prompt");
    }

    @Option(
            names = "--no-password",
            description = "Log in without a password, without prompting (trust or peer authentication).")
    boolean noPassword;

    @Option(
            names = "--schema",
            defaultValue = "${env:OUTBOX_SCHEMA}",
            paramLabel = "SCHEMA",
            description = "Schema of the outbox tables (on MySQL/MariaDB: the database); default the connection's"
                    + " current one (env OUTBOX_SCHEMA).")
    @Nullable
    String schema;

    @Option(
            names = "--prefix",
            defaultValue = "${env:OUTBOX_PREFIX:-" + OutboxTables.DEFAULT_PREFIX + "}",
            paramLabel = "PREFIX",
            description = "Table-name prefix (env OUTBOX_PREFIX; default: ${DEFAULT-VALUE}).")
    String prefix = OutboxTables.DEFAULT_PREFIX;

    @Option(
            names = "--connect-timeout",
            defaultValue = "10s",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "How long to wait for a connection (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout = Duration.ofSeconds(10);

    /**
     * The tables the options name.
     *
     * @throws IllegalArgumentException if the schema or prefix is not a valid identifier
     */
    OutboxTables tables() {
        try {
            return OutboxTables.of(schema == null || schema.isBlank() ? null : schema, prefix);
        } catch (OutboxConfigurationException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
