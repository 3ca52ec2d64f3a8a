package dev.outbox.testsupport.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * What the main class of a {@link ChildJvm} writes for its parent: lines of its recording file
 * (read back by {@link ChildJvm#recording()}, also after the child died: a flushed line is in the
 * operating system and survives SIGKILL), and report lines on standard output. Thread-safe: the
 * child's threads share it.
 */
public final class ChildOutput {

    private final Writer recording;

    private ChildOutput(Writer recording) {
        this.recording = recording;
    }

    /** The output of a child started with {@code settings} (the file its {@code recording} names). */
    public static ChildOutput open(Properties settings) throws IOException {
        return new ChildOutput(Files.newBufferedWriter(
                Paths.get(settings.getProperty("recording")),
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND));
    }

    /** Adds a line to the recording (buffered until {@link #flush()}). */
    public void record(String line) {
        synchronized (recording) {
            try {
                recording.write(line);
                recording.write('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Hands the recorded lines to the operating system: they survive a SIGKILL of the child. */
    public void flush() {
        synchronized (recording) {
            try {
                recording.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Tells the parent {@code line} (a report line, see {@link ChildJvm}). */
    public static synchronized void report(String line) {
        System.out.println(ChildJvm.PREFIX + line);
        System.out.flush();
    }
}
