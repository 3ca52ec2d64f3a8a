package dev.outbox.bench;

import dev.outbox.OutboxRelay;
import dev.outbox.PartitionStatus;
import dev.outbox.RelayOptions;
import dev.outbox.localkafka.LocalConnect;
import dev.outbox.localkafka.LocalKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * 11. The Kafka Connect source connector draining a backlog queued in the outbox into a real broker
 * ({@link LocalKafka}) through a real distributed worker ({@link LocalConnect}) with exactly-once
 * source support, from the plugin directory {@code kafka-connect} packages: events per second from
 * the connector's creation to the commit of the transaction holding the last entry, against the
 * Kafka publisher (section 9) draining the same backlog into the same broker, exactly once with the
 * same batch size, back to back in each run.
 *
 * <p>The end is seen from outside the worker: the topic's last stable offset ({@code
 * read_committed}) is read every 20 ms, and the run ends at the first reading of its final value,
 * known once the connector's consumer row reaches the backlog's last seq (the row is copied after
 * Kafka's commit, up to a second late, so it only says when to stop looking).
 */
final class ConnectBench {

    private static final int BATCH = 1_000;
    /**
     * Before the measured runs: a first run of 20,000 events left the worker cold (the next 1,000,000
     * ran at 30,000 ev/s, the one after at 50,000).
     */
    private static final int WARM_UP_EVENTS = 200_000;

    private final BenchDb db;
    private final Mode mode;
    private final Report report;
    private final LocalKafka kafka;
    private final LocalConnect connect;
    private final KafkaBench publisher;

    ConnectBench(BenchDb db, Mode mode, Report report, LocalKafka kafka, LocalConnect connect) {
        this.db = db;
        this.mode = mode;
        this.report = report;
        this.kafka = kafka;
        this.connect = connect;
        this.publisher = new KafkaBench(db, mode, report, kafka);
    }

    /** The plugin directory {@code mvn -pl kafka-connect package} makes (the zip's contents). */
    static Path pluginPath() throws Exception {
        Path target = Path.of("kafka-connect", "target");
        try (Stream<Path> entries = Files.list(target)) {
            return entries.filter(path -> path.getFileName().toString().endsWith("-plugin") && Files.isDirectory(path))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException(
                            "no plugin directory in " + target + ": run mvn -pl kafka-connect -am package"));
        }
    }

    void run() throws Exception {
        long backlog = mode.backlog();
        String n = String.format("%,d", backlog);
        System.out.println("[connect] " + db.label + ", backlog " + backlog);
        drain(WARM_UP_EVENTS);
        publisher.publish(WARM_UP_EVENTS, true, BATCH);
        Stats.Samples connector = new Stats.Samples();
        Stats.Samples eos = new Stats.Samples();
        Stats.Samples ratio = new Stats.Samples();
        for (int rep = 0; rep < mode.reps(); rep++) {
            double c = drain(backlog);
            double p = publisher.publish(backlog, true, BATCH);
            System.out.printf("[connect] %s: connector %.0f ev/s, publisher %.0f ev/s%n", db.label, c, p);
            connector.add(c);
            eos.add(p);
            ratio.add(c / p);
        }
        String section = Report.Sections.CONNECT;
        report.add(
                section,
                db.label,
                "connector, exactly once, 1 task, batch " + BATCH + ", end to end, " + n,
                connector.stats(),
                "ev/s");
        report.add(
                section,
                db.label,
                "publisher, exactly once, batchSize " + BATCH + ", end to end, " + n,
                eos.stats(),
                "ev/s");
        report.add(section, db.label, "connector / publisher (exactly once, same run)", ratio.stats(), "x");
        db.reset();
    }

    /** A backlog of {@code count} events, then a new connector: events per second until the last commit. */
    private double drain(long count) throws Exception {
        db.reset();
        db.fillQueue(1, count, 50_000);
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String topic = "bench-connect-" + suffix;
        String consumer = "bench-connect-" + suffix;
        String name = "bench-" + suffix;
        TopicPartition partition = new TopicPartition(topic, 0);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
                OutboxRelay reader = OutboxRelay.builder(db.pool, db.dialect)
                        .tables(db.tables)
                        .options(RelayOptions.builder()
                                .relayId("bench-connect-reader")
                                .build())
                        .build()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            Map<String, String> config = new LinkedHashMap<>();
            config.put("connector.class", "dev.outbox.kafka.connect.OutboxSourceConnector");
            config.put("tasks.max", "1");
            config.put("outbox.jdbc.url", db.pool.getJdbcUrl());
            config.put("outbox.jdbc.user", db.user);
            config.put("outbox.schema", db.tables.schema() == null ? BenchDb.SCHEMA : db.tables.schema());
            config.put("outbox.table.prefix", db.tables.prefix());
            config.put("outbox.consumer", consumer);
            config.put("outbox.batch.size", Integer.toString(BATCH));
            config.put("outbox.topic", topic);
            config.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
            config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
            config.put("exactly.once.support", "required");
            long start = System.nanoTime();
            LocalConnect.Response created = connect.request("PUT", "/connectors/" + name + "/config", json(config));
            if (!created.isSuccess()) {
                throw new IllegalStateException("creating the connector: " + created);
            }
            ListOffsetsOptions committed = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
            long lastStable = -1;
            long reachedNanos = start;
            long deadline = start + TimeUnit.MINUTES.toNanos(15);
            int polls = 0;
            while (true) {
                long now = System.nanoTime();
                long stable = admin.listOffsets(Map.of(partition, OffsetSpec.latest()), committed)
                        .partitionResult(partition)
                        .get()
                        .offset();
                if (stable != lastStable) {
                    lastStable = stable;
                    reachedNanos = now;
                }
                // the row says when everything is in, at most a second after the commit
                if (++polls % 25 == 0 && delivered(reader, consumer) >= count) {
                    long confirm = admin.listOffsets(Map.of(partition, OffsetSpec.latest()), committed)
                            .partitionResult(partition)
                            .get()
                            .offset();
                    if (confirm == lastStable) {
                        break;
                    }
                }
                if (now > deadline) {
                    throw new IllegalStateException("the connector did not deliver " + count + " events in 15 minutes");
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
            connect.request("DELETE", "/connectors/" + name, null);
            reader.deleteConsumer(consumer);
            return count / ((reachedNanos - start) / 1e9);
        }
    }

    private static long delivered(OutboxRelay reader, String consumer) {
        List<PartitionStatus> partitions = reader.status(consumer).partitions();
        return partitions.isEmpty() ? 0 : partitions.get(0).checkpoint();
    }

    private static String json(Map<String, String> config) {
        StringBuilder json = new StringBuilder("{");
        config.forEach((key, value) -> json.append(json.length() == 1 ? "" : ",")
                .append('"')
                .append(key)
                .append("\":\"")
                .append(value.replace("\\", "\\\\").replace("\"", "\\\""))
                .append('"'));
        return json.append('}').toString();
    }
}
