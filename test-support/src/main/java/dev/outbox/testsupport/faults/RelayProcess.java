package dev.outbox.testsupport.faults;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.history.Delivery;
import dev.outbox.testkit.history.HandlerCall;
import dev.outbox.testkit.history.HandlerFaults;
import dev.outbox.testsupport.history.HistorySchema;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A relay of a history run in a separate JVM ({@link RelayProcessMain}, a {@link ChildJvm}) that a
 * test kills with SIGKILL (no shutdown hook, no {@code close()}, no released lease, a batch cut off
 * in the middle), freezes with SIGSTOP, or stops with SIGTERM (its relay closes). Its deliveries to
 * the at-least-once consumer are read back from its recording file after it died.
 *
 * <p>{@link #close()} kills the process if it still runs and deletes its files. Not thread-safe:
 * one test thread drives it.
 */
public final class RelayProcess implements AutoCloseable {

    private final String relayId;
    private final ChildJvm jvm;
    private final CountDownLatch ownsAll = new CountDownLatch(1);
    private final AtomicLong batches = new AtomicLong();
    private volatile String lastBatch = "";

    private RelayProcess(String relayId, Function<Consumer<String>, ChildJvm> start) {
        this.relayId = relayId;
        this.jvm = start.apply(this::report);
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
        Properties settings = new Properties();
        settings.setProperty("relayId", relayId);
        PoolSettings.write(pool, settings);
        settings.setProperty("schema", Objects.requireNonNull(schema.tables().schema(), "tables.schema()"));
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
        return new RelayProcess(
                relayId,
                reports -> ChildJvm.start(
                        relayId,
                        RelayProcessMain.class,
                        settings,
                        List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                        reports));
    }

    private void report(String message) {
        if (message.equals("owns-all")) {
            ownsAll.countDown();
        } else if (message.startsWith("batch ")) {
            lastBatch = message.substring("batch ".length());
            batches.incrementAndGet();
        }
    }

    public String relayId() {
        return relayId;
    }

    public long pid() {
        return jvm.pid();
    }

    /** Waits until the process sequences and runs both consumers. */
    public void awaitOwnsEverything(Duration timeout) throws InterruptedException {
        if (!ownsAll.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("relay process " + relayId + " did not take over the sequencer and both consumers"
                    + " within " + timeout + " (alive: " + jvm.isAlive() + "); its output:\n" + jvm.outputTail());
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
        jvm.kill();
    }

    /**
     * Stops the process with SIGTERM: its relay closes (the batches in flight end, the leases are
     * released) and it exits; waits until it is gone.
     */
    public void stop() throws InterruptedException {
        jvm.stop();
    }

    /** Freezes the process with SIGSTOP: its threads stop wherever they are, its sessions stay open. */
    public void pause() throws IOException, InterruptedException {
        jvm.pause();
    }

    /** Resumes a frozen process with SIGCONT. */
    public void resume() throws IOException, InterruptedException {
        jvm.resume();
    }

    public boolean isAlive() {
        return jvm.isAlive();
    }

    /** The deliveries it recorded (read after it died). */
    public List<Delivery> deliveries() {
        return jvm.recording().stream()
                .filter(line -> !HandlerCall.isLine(line))
                .map(Delivery::parse)
                .toList();
    }

    /** The handler calls of the faulty consumers it recorded (read after it died). */
    public List<HandlerCall> calls() {
        return jvm.recording().stream()
                .filter(HandlerCall::isLine)
                .map(HandlerCall::parse)
                .toList();
    }

    /** Copies its output so far to {@code <directory>/<relayId>.log}, when the directory can be made. */
    public void keepOutput(Path directory) {
        jvm.keepOutput(directory);
    }

    /** The end of its output, for failure messages. */
    public String outputTail() {
        return jvm.outputTail();
    }

    @Override
    public void close() {
        jvm.close();
    }
}
