package dev.outbox.cli;

import java.time.Clock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What the tool reads from its surroundings, passed in so that tests can run every command in one
 * JVM: the environment (for {@code OUTBOX_PASSWORD}), whether it runs on a terminal (prompt,
 * progress bars), how to read a password from that terminal, and the clock of relative times.
 *
 * @param environment a variable's value, or {@code null} when it is not set
 * @param terminal whether stdin and stdout are a terminal ({@code System.console() != null})
 * @param passwordPrompt reads a password without echo, given the prompt; used only on a terminal
 * @param clock the time relative times ({@code --to-time 2h}) count back from
 */
record CliContext(
        Function<String, @Nullable String> environment,
        boolean terminal,
        Function<String, char @Nullable []> passwordPrompt,
        Clock clock) {

    /** The real process: its environment, its console, the system clock. */
    static CliContext system() {
        java.io.Console console = System.console();
        return new CliContext(
                System::getenv,
                console != null,
                prompt -> {
                    java.io.Console current = System.console();
                    return current == null ? null : current.readPassword("%s", prompt);
                },
                Clock.systemUTC());
    }
}
