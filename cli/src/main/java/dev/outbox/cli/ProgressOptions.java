package dev.outbox.cli;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** Whether a long command draws a progress bar: on a terminal by default. */
final class ProgressOptions {

    @Option(
            names = "--progress",
            negatable = true,
            description = "Draw a progress bar on stderr (--no-progress: never). Default: only on a terminal.")
    @Nullable
    Boolean progress;

    boolean enabled(CliContext context) {
        return progress == null ? context.terminal() : progress;
    }
}
