package dev.outbox.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr for what takes a while (a replay after a reset, a large re-drive, a
 * migration), or nothing at all: scripts and logs get the command's result lines only.
 */
interface Progress extends AutoCloseable {

    /** Moves the bar to {@code current} of {@code max}, with a short note after it. */
    void update(long current, long max, String note);

    /** Whether a bar is drawn (else the command's own lines say what happens). */
    boolean visible();

    /**
     * Ends the bar before the command prints more: its last state stays on screen and the next line
     * starts below it. Idempotent.
     */
    void finish();

    /** {@link #finish()}. */
    @Override
    default void close() {
        finish();
    }

    /** A bar if {@code options} and the context ask for one, else nothing. */
    static Progress start(ProgressOptions options, CliContext context, PrintWriter err, String task, long max) {
        if (!options.enabled(context)) {
            return new Progress() {
                @Override
                public void update(long current, long max, String note) {}

                @Override
                public boolean visible() {
                    return false;
                }

                @Override
                public void finish() {}
            };
        }
        return new Bar(task, max, err, context.terminal());
    }

    /** me.tongfei's bar, drawn on the command's stderr writer. */
    final class Bar implements Progress {
        /** Width when no terminal can be asked (a forced bar into a pipe or a test's capture). */
        private static final int WIDTH_WITHOUT_TERMINAL = 100;

        private final ProgressBar bar;
        private boolean finished;

        Bar(String task, long max, PrintWriter err, boolean terminal) {
            PrintStream stream = new PrintStream(new WriterStream(err), true, StandardCharsets.UTF_8);
            ConsoleProgressBarConsumer consumer = terminal
                    ? new ConsoleProgressBarConsumer(stream)
                    : new ConsoleProgressBarConsumer(stream, WIDTH_WITHOUT_TERMINAL);
            bar = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setInitialMax(max)
                    .setStyle(terminal ? ProgressBarStyle.UNICODE_BLOCK : ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(200)
                    .setConsumer(consumer)
                    .showSpeed()
                    .build();
        }

        @Override
        public void update(long current, long max, String note) {
            if (max >= 0 && max != bar.getMax()) {
                bar.maxHint(max);
            }
            bar.stepTo(current);
            bar.setExtraMessage(note.isEmpty() ? "" : " " + note);
        }

        @Override
        public boolean visible() {
            return true;
        }

        @Override
        public void finish() {
            if (!finished) {
                finished = true;
                bar.close();
            }
        }
    }

    /**
     * Bytes from the bar's PrintStream to the command's writer. The PrintStream flushes after each
     * string it writes, whole, so every flush ends on a character boundary.
     */
    final class WriterStream extends OutputStream {
        private final PrintWriter writer;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        WriterStream(PrintWriter writer) {
            this.writer = writer;
        }

        @Override
        public synchronized void write(int b) {
            pending.write(b);
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) {
            pending.write(bytes, offset, length);
        }

        @Override
        public synchronized void flush() {
            writer.write(pending.toString(StandardCharsets.UTF_8));
            pending.reset();
            writer.flush();
        }
    }
}
