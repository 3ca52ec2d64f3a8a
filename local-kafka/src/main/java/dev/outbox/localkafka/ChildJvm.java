package dev.outbox.localkafka;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.CodeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One long-lived child JVM of this module (the broker, a Connect worker) and its directory: how it
 * is started from the broker's class path, stopped with SIGTERM, killed with SIGKILL and cleaned up,
 * and its log. Its owner ({@link LocalKafka}, {@link LocalConnect}) says what runs, when it is
 * ready and what a stop that hangs means; it synchronizes, since this class is not thread-safe.
 *
 * <p>The child's stdin stays a pipe from this JVM for as long as the child runs: its main class
 * exits when the pipe ends (see {@link OrphanGuard}). {@link #close()} kills the child and deletes
 * the directory, and so does a shutdown hook if the owner never closes it.
 */
final class ChildJvm {

    private static final Logger LOG = LoggerFactory.getLogger(ChildJvm.class);

    private static final String LOG_CONFIGURATION = "dev/outbox/localkafka/broker-logback.xml";
    private static final List<String> CLASS_PATH_RESOURCES =
            List.of("broker-runtime.classpath", "broker-provided.classpath");
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(30);
    /** Read from the end of a log for its tail: the start of a child's log repeats its configuration. */
    private static final int TAIL_WINDOW_BYTES = 64 * 1024;

    /** Waits for a child that was just started: returns when it is ready, throws if it is not. */
    interface Readiness {

        /**
         * @throws IllegalStateException if {@code starting} exits, or is not ready by {@code
         *     deadlineNanos} ({@link System#nanoTime()})
         */
        void await(Process starting, long deadlineNanos);
    }

    private final String description;
    private final String logSource;
    private final Path directory;
    private final Path logFile;
    private final String classPath;
    private final Thread shutdownHook;

    private @Nullable Process process;
    private int starts;
    private boolean closed;

    /**
     * A child that does not run yet, owning {@code directory}; {@code classPath} is {@link
     * #brokerClassPath()}.
     *
     * @param description what the child is, for messages: {@code "the local Kafka broker"}
     * @param logSource how this class marks its own lines in the log: {@code "local-kafka"}
     */
    ChildJvm(String description, String logSource, String classPath, Path directory, String logFileName) {
        this.description = description;
        this.logSource = logSource;
        this.classPath = classPath;
        this.directory = directory;
        this.logFile = directory.resolve(logFileName);
        this.shutdownHook = new Thread(this::closeQuietly, logSource + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    Path directory() {
        return directory;
    }

    Path logFile() {
        return logFile;
    }

    /**
     * Starts the child ({@code mainClass} with a heap of up to {@code maxHeapMegabytes} and the
     * module's class path) and waits with {@code readiness}; kills it if that throws. {@code where}
     * says where it listens, for the log line.
     */
    void start(
            int maxHeapMegabytes,
            String mainClass,
            List<String> arguments,
            Duration startTimeout,
            Readiness readiness,
            String where) {
        requireOpen();
        long begin = System.nanoTime();
        List<String> command = javaCommand(
                // Serial: on a machine of 2 cores shared with the tests, G1's own threads made the
                // broker's start no faster (4.8-10 s to started, against 4.6-4.8 s) for 20 MB more RSS
                List.of("-Xms64m", "-Xmx" + maxHeapMegabytes + "m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"),
                mainClass,
                arguments);
        appendToLog("start #" + (starts + 1) + " at " + Instant.now() + ": " + String.join(" ", command));
        Process started = spawn(command, description + "'s JVM");
        process = started;
        try {
            readiness.await(started, begin + startTimeout.toNanos());
        } catch (RuntimeException | Error e) {
            try {
                kill(started);
            } catch (RuntimeException notKilled) {
                e.addSuppressed(notKilled);
            }
            throw e;
        }
        starts++;
        LOG.info(
                "{} (pid {}) at {} ready {} ms after its JVM started (start #{})",
                description,
                started.pid(),
                where,
                millisSince(begin),
                starts);
    }

    /**
     * Runs a tool of the class path to its end ({@code what} says which, for messages), its output
     * appended to the log.
     *
     * @throws IllegalStateException if it fails or outlasts {@code timeout} (it is then killed)
     */
    void run(String what, List<String> jvmOptions, String mainClass, List<String> arguments, Duration timeout) {
        List<String> command = javaCommand(jvmOptions, mainClass, arguments);
        appendToLog(what + " at " + Instant.now() + ": " + String.join(" ", command));
        Process tool = spawn(command, what);
        try {
            tool.getOutputStream().close(); // it reads no input
        } catch (IOException ignored) {
            // then it has no stdin to wait on either
        }
        if (!awaitExit(tool, timeout)) {
            kill(tool);
            throw new IllegalStateException(what + " did not end within " + timeout.toSeconds() + " s; " + logEnd());
        }
        if (tool.exitValue() != 0) {
            throw new IllegalStateException(what + " failed (exit code " + tool.exitValue() + "); " + logEnd());
        }
    }

    /** Whether the child's JVM is alive (it may not be ready yet, or any more). */
    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * @throws IllegalStateException if the child does not run
     */
    long pid() {
        if (!isRunning()) {
            throw new IllegalStateException(description + " does not run");
        }
        return process.pid();
    }

    /** SIGTERM; true if the child exited within {@code timeout} (or did not run). */
    boolean terminate(Duration timeout) {
        Process running = process;
        if (running == null || !running.isAlive()) {
            return true;
        }
        running.destroy();
        return awaitExit(running, timeout);
    }

    /**
     * SIGKILL, as a crash: nothing is flushed that the operating system does not already hold.
     * Returns when the child exited; does nothing if it does not run.
     *
     * @throws IllegalStateException if it survived SIGKILL for 30 s
     */
    void kill() {
        Process running = process;
        if (running != null && running.isAlive()) {
            kill(running);
        }
    }

    /**
     * Sends {@code signal} ({@code STOP}, {@code CONT}) to the child, as {@code kill -<signal>}
     * does: Java has no API for the signals that freeze and resume a process.
     *
     * @throws IllegalStateException if the child does not run, or {@code kill} failed
     */
    void signal(String signal) {
        long pid = pid();
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .redirectErrorStream(true)
                    .start();
            String said = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed: " + said);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + signal + " to " + pid, e);
        }
    }

    /** The last {@code lines} lines of the log. */
    String logTail(int lines) {
        try (SeekableByteChannel channel = Files.newByteChannel(logFile, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer end = ByteBuffer.allocate((int) Math.min(size, TAIL_WINDOW_BYTES));
            channel.position(size - end.capacity());
            while (end.hasRemaining() && channel.read(end) >= 0) {
                // read until the window is full
            }
            List<String> all = new String(end.array(), 0, end.position(), StandardCharsets.UTF_8)
                    .lines()
                    .toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** "the end of its log {@code <file>}:" and its last 60 lines, for a failure message. */
    String logEnd() {
        return "the end of its log " + logFile + ":\n" + logTail(60);
    }

    /** Writes {@code properties} to {@code path}, as {@link java.util.Properties#load} reads them. */
    void writeProperties(Path path, Map<String, String> properties) {
        StringBuilder text =
                new StringBuilder("# written by outbox ").append(logSource).append('\n');
        properties.forEach((name, value) -> text.append(escape(name, true))
                .append('=')
                .append(escape(value, false))
                .append('\n'));
        try {
            Files.writeString(path, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    /** Kills the child if it runs and deletes the directory. Idempotent. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            kill();
        } finally {
            process = null;
            deleteRecursively(directory);
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // the JVM is shutting down: this is the hook
            }
        }
    }

    /**
     * @throws IllegalStateException if {@link #close()} was called
     */
    void requireOpen() {
        if (closed) {
            throw new IllegalStateException(description + " was closed");
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException ignored) {
            // the JVM is exiting
        }
    }

    private List<String> javaCommand(List<String> jvmOptions, String mainClass, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Djava.awt.headless=true");
        command.add("-Dlogback.configurationFile=" + LOG_CONFIGURATION);
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.addAll(arguments);
        return command;
    }

    private Process spawn(List<String> command, String what) {
        try {
            return new ProcessBuilder(command)
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + what + ": " + command, e);
        }
    }

    /** Appends a line of this class's own, marked as such, to the log. */
    private void appendToLog(String line) {
        try {
            Files.writeString(
                    logFile,
                    "=== " + logSource + ": " + line + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + logFile, e);
        }
    }

    private void kill(Process running) {
        running.destroyForcibly();
        if (!awaitExit(running, KILL_TIMEOUT)) {
            throw new IllegalStateException(description + " (pid " + running.pid() + ") survived SIGKILL for "
                    + KILL_TIMEOUT.toSeconds() + " s");
        }
    }

    /**
     * Waits for the process to exit; true if it did within {@code timeout}. Then closes this side of
     * its stdin, which the process no longer reads.
     */
    private static boolean awaitExit(Process process, Duration timeout) {
        boolean exited;
        try {
            exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while waiting for process " + process.pid() + " to exit", e);
        }
        if (exited) {
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // the pipe went with the process
            }
        }
        return exited;
    }

    /** Escapes what {@link java.util.Properties#load} would read otherwise. */
    private static String escape(String text, boolean key) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\\' -> escaped.append("\\\\");
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '=', ':', ' ' -> escaped.append(key ? "\\" + c : String.valueOf(c));
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }

    static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** The JVM's maximum heap checked for a builder: {@code >= 128} MiB. */
    static int checkedMaxHeap(int megabytes) {
        if (megabytes < 128) {
            throw new IllegalArgumentException("maxHeapMegabytes must be >= 128, was " + megabytes);
        }
        return megabytes;
    }

    /** A start timeout checked for a builder: {@code > 0}. */
    static Duration checkedStartTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("startTimeout must be > 0, was " + timeout);
        }
        return timeout;
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete {}", root, e);
        }
    }

    /**
     * This module's code (where the child main classes are), then the broker's jars as Maven
     * resolved them when it built this module.
     *
     * @throws IllegalStateException if this module was not built by Maven on this machine
     */
    static String brokerClassPath() {
        CodeSource source = ChildJvm.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            throw new IllegalStateException("cannot tell where " + ChildJvm.class.getName()
                    + " was loaded from, so cannot put it on the broker's class path");
        }
        Path ownCode;
        try {
            ownCode = Path.of(source.getLocation().toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot use " + source.getLocation() + " on the broker's class path", e);
        }
        List<String> entries = new ArrayList<>();
        entries.add(ownCode.toString());
        for (String resource : CLASS_PATH_RESOURCES) {
            String text;
            try (InputStream in = ChildJvm.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("no " + resource + " next to " + ChildJvm.class.getName() + " in "
                            + ownCode + ": build the module with Maven (mvn -pl local-kafka -am install -DskipTests)");
                }
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + resource, e);
            }
            for (String entry : text.trim().split(File.pathSeparator)) {
                if (entry.isBlank()) {
                    continue;
                }
                if (!Files.exists(Path.of(entry))) {
                    throw new IllegalStateException(
                            "the broker's class path names " + entry
                                    + ", which does not exist: was local-kafka built on another machine, or the local"
                                    + " Maven repository cleaned? Build it again (mvn -pl local-kafka -am install -DskipTests)");
                }
                entries.add(entry);
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
