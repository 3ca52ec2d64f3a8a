package dev.outbox.testsupport.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A separate JVM on this JVM's class path, running a main class of the tests that a test kills with
 * SIGKILL (no shutdown hook, a batch cut off in the middle), freezes with SIGSTOP, or stops with
 * SIGTERM. Its main class gets one argument, a properties file of its settings (written here, in a
 * temporary directory of its own; a password among them never reaches a command line), and
 * reports to the test in lines of its standard output that start with {@value #PREFIX}; the rest
 * of its output goes to a log file. What it records for the test goes to {@link #recording()}, read
 * back once it died.
 *
 * <p>{@link #close()} kills it if it still runs and deletes its files. Not thread-safe: one test
 * thread drives it.
 */
public final class ChildJvm implements AutoCloseable {

    /** The prefix of the output lines a child JVM reports with. */
    public static final String PREFIX = "@@child ";

    private static final Logger LOG = LoggerFactory.getLogger(ChildJvm.class);

    private final String name;
    private final Path directory;
    private final Path output;
    private final Process process;
    private final Consumer<String> reports;

    private ChildJvm(String name, Path directory, Process process, Consumer<String> reports) {
        this.name = name;
        this.directory = directory;
        this.output = directory.resolve("output.log");
        this.process = process;
        this.reports = reports;
        Thread reader = new Thread(this::readOutput, "child-jvm-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} with {@code settings}, to which {@code recording} is added: the path
     * of the file the child records in. Each report line (without {@link #PREFIX}) goes to {@code
     * reports}, on a thread of this JVM.
     */
    public static ChildJvm start(
            String name, Class<?> mainClass, Properties settings, List<String> jvmOptions, Consumer<String> reports) {
        try {
            Path directory = Files.createTempDirectory("outbox-child-jvm-");
            Properties withRecording = new Properties();
            withRecording.putAll(settings);
            withRecording.setProperty(
                    "recording", directory.resolve("recording.tsv").toString());
            Path file = directory.resolve("settings.properties");
            try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                withRecording.store(out, name);
            }
            Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
            List<String> command = new ArrayList<>();
            command.add(java.toString());
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", classPath(), mainClass.getName(), file.toString()));
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            LOG.info("started child JVM {} (pid {})", name, process.pid());
            return new ChildJvm(name, directory, process, reports);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start child JVM " + name, e);
        }
    }

    /** The class path of this JVM: Surefire's real test class path when it runs tests. */
    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    private void readOutput() {
        try (BufferedReader in =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer log = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                log.write(line);
                log.write('\n');
                log.flush();
                if (line.startsWith(PREFIX)) {
                    reports.accept(line.substring(PREFIX.length()));
                }
            }
        } catch (IOException e) {
            // the process died: that is the point
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the process with SIGKILL and waits until it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("child JVM " + name + " (pid " + process.pid() + ") survived SIGKILL");
        }
    }

    /** Stops the process with SIGTERM (its shutdown hooks run) and waits until it is gone. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("child JVM " + name + " (pid " + process.pid()
                    + ") did not exit within 60 s of SIGTERM; its output:\n" + outputTail());
        }
    }

    /** Freezes the process with SIGSTOP: its threads stop wherever they are, its sessions stay open. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** Resumes a frozen process with SIGCONT. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .redirectErrorStream(true)
                .start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: "
                    + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The complete lines of its recording file: a line a kill cut off is left out. */
    public List<String> recording() {
        Path recording = directory.resolve("recording.tsv");
        if (!Files.exists(recording)) {
            return List.of();
        }
        try {
            String text = Files.readString(recording, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            return Arrays.stream(text.substring(0, end + 1).split("\n"))
                    .filter(line -> !line.isBlank())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies its output so far to {@code <directory>/<name>.log}, and its recording to {@code
     * <name>.recording.tsv}, when the directory can be made.
     */
    public void keepOutput(Path keepIn) {
        try {
            Files.createDirectories(keepIn);
            Files.copy(output, keepIn.resolve(name + ".log"), StandardCopyOption.REPLACE_EXISTING);
            Path recording = directory.resolve("recording.tsv");
            if (Files.exists(recording)) {
                Files.copy(recording, keepIn.resolve(name + ".recording.tsv"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.debug("could not keep the output of {}: {}", name, e.toString());
        }
    }

    /** The end of its output, for failure messages. */
    public String outputTail() {
        try {
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            LOG.warn("could not delete {}", directory, e);
        }
    }
}
