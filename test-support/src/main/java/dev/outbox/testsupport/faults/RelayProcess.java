package dev.outbox.testsupport.faults;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.history.Delivery;
import dev.outbox.testkit.history.HandlerCall;
import dev.outbox.testkit.history.HandlerFaults;
import dev.outbox.testsupport.history.HistorySchema;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A relay of a history run in a separate JVM ({@link RelayProcessMain}), started with {@link
 * ProcessBuilder} on this JVM's class path, that a test kills with SIGKILL (no shutdown hook, no
 * {@code close()}, no released lease, a batch cut off in the middle), freezes with SIGSTOP, or
 * stops with SIGTERM (its relay closes). Its deliveries to the
 * at-least-once consumer are read back from its recording file after it died.
 *
 * <p>{@link #close()} kills the process if it still runs and deletes its files. Not thread-safe:
 * one test thread drives it.
 */
public final class RelayProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RelayProcess.class);

    private final String relayId;
    private final Path directory;
    private final Path recording;
    private final Path output;
    private final Process process;
    private final CountDownLatch ownsAll = new CountDownLatch(1);
    private final AtomicLong batches = new AtomicLong();
    private volatile String lastBatch = "";

    private RelayProcess(String relayId, Path directory, Process process) {
        this.relayId = relayId;
        this.directory = directory;
        this.recording = directory.resolve("deliveries.tsv");
        this.output = directory.resolve("output.log");
        this.process = process;
        Thread reader = new Thread(this::readOutput, "relay-process-" + relayId);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a relay process that connects like {@code pool} (URL, user, password, schema, session
     * settings) and runs the history relay with id {@code relayId}.
     */
    public static RelayProcess start(
            String relayId,
            HikariDataSource pool,
            HistorySchema schema,
            OutboxDialect dialect,
            Duration lease,
            HandlerFaults faults,
            int partitions) {
        try {
            Path directory = Files.createTempDirectory("outbox-relay-process-");
            Properties settings = new Properties();
            settings.setProperty("relayId", relayId);
            settings.setProperty("jdbcUrl", pool.getJdbcUrl());
            settings.setProperty("username", pool.getUsername());
            if (pool.getPassword() != null) {
                settings.setProperty("password", pool.getPassword());
            }
            if (pool.getSchema() != null) {
                settings.setProperty("poolSchema", pool.getSchema());
            }
            settings.setProperty(
                    "schema", Objects.requireNonNull(schema.tables().schema(), "tables.schema()"));
            if (pool.getConnectionInitSql() != null) {
                settings.setProperty("connectionInitSql", pool.getConnectionInitSql());
            }
            for (Map.Entry<Object, Object> property :
                    pool.getDataSourceProperties().entrySet()) {
                settings.setProperty("dsprop." + property.getKey(), String.valueOf(property.getValue()));
            }
            settings.setProperty("dialect", dialect.getClass().getName());
            settings.setProperty("prefix", schema.tables().prefix());
            settings.setProperty("leaseMillis", Long.toString(lease.toMillis()));
            settings.setProperty("partitions", Integer.toString(partitions));
            if (faults.enabled()) {
                settings.setProperty("handlerFaults.seed", Long.toString(faults.seed()));
                settings.setProperty(
                        "handlerFaults.slownessMillis",
                        Long.toString(faults.slowness().toMillis()));
            }
            settings.setProperty(
                    "recording", directory.resolve("deliveries.tsv").toString());
            Path file = directory.resolve("relay.properties");
            try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                settings.store(out, "history relay process " + relayId);
            }
            Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
            List<String> command = new ArrayList<>(List.of(
                    java.toString(),
                    "-Xmx192m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-cp",
                    classPath(),
                    RelayProcessMain.class.getName(),
                    file.toString()));
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            LOG.info("started relay process {} (pid {})", relayId, process.pid());
            return new RelayProcess(relayId, directory, process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a relay process", e);
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
                if (line.startsWith(RelayProcessMain.PREFIX)) {
                    String message = line.substring(RelayProcessMain.PREFIX.length());
                    if (message.equals("owns-all")) {
                        ownsAll.countDown();
                    } else if (message.startsWith("batch ")) {
                        lastBatch = message.substring("batch ".length());
                        batches.incrementAndGet();
                    }
                }
            }
        } catch (IOException e) {
            // the process died: that is the point
        }
    }

    public String relayId() {
        return relayId;
    }

    public long pid() {
        return process.pid();
    }

    /** Waits until the process sequences and runs both consumers. */
    public void awaitOwnsEverything(Duration timeout) throws InterruptedException {
        if (!ownsAll.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("relay process " + relayId + " did not take over the sequencer and both consumers"
                    + " within " + timeout + " (alive: " + process.isAlive() + "); its output:\n" + outputTail());
        }
    }

    /** Number of at-least-once batches it reported so far. */
    public long batches() {
        return batches.get();
    }

    /** The last batch it reported: {@code "<first seq> <last seq>"}. */
    public String lastBatch() {
        return lastBatch;
    }

    /** Kills the process with SIGKILL and waits until it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(
                    "relay process " + relayId + " (pid " + process.pid() + ") survived SIGKILL");
        }
    }

    /**
     * Stops the process with SIGTERM: its relay closes (the batches in flight end, the leases are
     * released) and it exits; waits until it is gone.
     */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("relay process " + relayId + " (pid " + process.pid()
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

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .redirectErrorStream(true)
                .start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: "
                    + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The deliveries it recorded (read after it died). */
    public List<Delivery> deliveries() {
        return recorded().stream()
                .filter(line -> !HandlerCall.isLine(line))
                .map(Delivery::parse)
                .toList();
    }

    /** The handler calls of the faulty consumers it recorded (read after it died). */
    public List<HandlerCall> calls() {
        return recorded().stream()
                .filter(HandlerCall::isLine)
                .map(HandlerCall::parse)
                .toList();
    }

    /** The complete lines of its recording file: a line the kill cut off is left out. */
    private List<String> recorded() {
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

    /** Copies its output so far to {@code <directory>/<relayId>.log}, when the directory can be made. */
    public void keepOutput(Path directory) {
        try {
            Files.createDirectories(directory);
            Files.copy(output, directory.resolve(relayId + ".log"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.debug("could not keep the output of {}: {}", relayId, e.toString());
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
