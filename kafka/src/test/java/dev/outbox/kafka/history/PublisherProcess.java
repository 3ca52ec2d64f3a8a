package dev.outbox.kafka.history;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testsupport.faults.ChildJvm;
import dev.outbox.testsupport.faults.PoolSettings;
import dev.outbox.testsupport.history.PublisherHistory.Handing;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A relay process of a publisher history run ({@link PublisherProcessMain} in a {@link ChildJvm}):
 * what it holds and the calls it begins, as it reports them; the calls of each publisher it made,
 * read from its recording (after it died, too). Not thread-safe: one test thread drives it.
 */
public final class PublisherProcess implements AutoCloseable {

    private static final Pattern OWNS = Pattern.compile("([a-z-]+)\\[([0-9,]*)]");

    private final String relayId;
    private final Map<String, List<Integer>> owned = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private volatile String clientsVersion = "";
    private final ChildJvm jvm;

    private PublisherProcess(String relayId, Properties settings) {
        this.relayId = relayId;
        this.jvm = ChildJvm.start(
                relayId,
                PublisherProcessMain.class,
                settings,
                List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                this::report);
    }

    /** Starts a relay process with the run's {@code settings}, connecting like {@code pool}. */
    public static PublisherProcess start(
            String relayId, HikariDataSource pool, OutboxTables tables, OutboxDialect dialect, Properties run) {
        Properties settings = new Properties();
        settings.putAll(run);
        PoolSettings.write(pool, settings);
        settings.setProperty("relayId", relayId);
        settings.setProperty("dialect", dialect.getClass().getName());
        settings.setProperty("schema", Objects.requireNonNull(tables.schema(), "tables.schema()"));
        settings.setProperty("prefix", tables.prefix());
        return new PublisherProcess(relayId, settings);
    }

    private void report(String message) {
        if (message.startsWith("owns ")) {
            Matcher matcher = OWNS.matcher(message.substring("owns ".length()));
            while (matcher.find()) {
                owned.put(
                        matcher.group(1),
                        matcher.group(2).isEmpty()
                                ? List.of()
                                : Arrays.stream(matcher.group(2).split(","))
                                        .map(Integer::valueOf)
                                        .toList());
            }
        } else if (message.startsWith("clients ")) {
            clientsVersion = message.substring("clients ".length());
        } else if (message.startsWith("batch ")) {
            calls.computeIfAbsent(message.substring("batch ".length()), c -> new AtomicLong())
                    .incrementAndGet();
        }
    }

    /** The version of kafka-clients it runs with, once it said so. */
    public String clientsVersion() {
        return clientsVersion;
    }

    public String relayId() {
        return relayId;
    }

    public boolean isAlive() {
        return jvm.isAlive();
    }

    /** The partitions of {@code consumer} it said it holds last (none once it died). */
    public List<Integer> owned(String consumer) {
        return jvm.isAlive() ? owned.getOrDefault(consumer, List.of()) : List.of();
    }

    /** Calls of {@code consumer}'s publisher it began so far. */
    public long callsBegun(String consumer) {
        AtomicLong begun = calls.get(consumer);
        return begun == null ? 0 : begun.get();
    }

    /** The calls of {@code consumer}'s publisher it recorded; one it did not see end never ended. */
    public List<Handing> handings(String consumer) {
        Map<String, Handing> begun = new HashMap<>();
        List<String> order = new ArrayList<>();
        for (String line : jvm.recording()) {
            String[] fields = line.split(" ");
            if (!fields[1].equals(consumer)) {
                continue;
            }
            if (fields[0].equals("B")) {
                List<Long> seqs =
                        Arrays.stream(fields[4].split(",")).map(Long::valueOf).toList();
                begun.put(fields[2], new Handing(seqs, Long.parseLong(fields[3]), Long.MAX_VALUE));
                order.add(fields[2]);
            } else if (fields[0].equals("E") && begun.containsKey(fields[2])) {
                Handing handing = begun.get(fields[2]);
                begun.put(fields[2], new Handing(handing.seqs(), handing.start(), Long.parseLong(fields[3])));
            }
        }
        return order.stream().map(begun::get).toList();
    }

    public void kill() throws InterruptedException {
        jvm.kill();
    }

    public void stop() throws InterruptedException {
        jvm.stop();
    }

    public void pause() throws IOException, InterruptedException {
        jvm.pause();
    }

    public void resume() throws IOException, InterruptedException {
        jvm.resume();
    }

    public void keepOutput(Path directory) {
        jvm.keepOutput(directory);
    }

    public String outputTail() {
        return jvm.outputTail();
    }

    @Override
    public void close() {
        jvm.close();
    }
}
