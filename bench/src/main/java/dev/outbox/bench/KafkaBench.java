package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Lease;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.SessionHandler;
import dev.outbox.StartPosition;
import dev.outbox.kafka.KafkaPublisher;
import dev.outbox.kafka.TopicRouter;
import dev.outbox.localkafka.LocalKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * 9. The Kafka publisher, into a real broker on this machine ({@link LocalKafka}): a backlog queued
 * in the outbox drained end to end (sequencer and publisher, until the last acknowledgement or
 * commit), at least once and exactly once, each against a plain kafka-clients producer sending
 * records of the same size and headers from memory to the same broker (the limit), back to back in
 * each run; then latency from commit returned to the record read by a {@code read_committed}
 * consumer, at a fixed offered load.
 */
final class KafkaBench {

    private static final int LATENCY_RATE = 2_000;
    /** The exactly-once publisher's second batch size: a Kafka transaction's commit is paid per batch. */
    private static final int LARGE_BATCH = 5_000;

    private static final int WARM_UP_EVENTS = 20_000;

    private final BenchDb db;
    private final Mode mode;
    private final Report report;
    private final LocalKafka kafka;
    private final BusinessTx business;
    private final OutboxWriter writer;
    private final CpuUse cpu;

    KafkaBench(BenchDb db, Mode mode, Report report, LocalKafka kafka) {
        this.db = db;
        this.mode = mode;
        this.report = report;
        this.kafka = kafka;
        this.business = new BusinessTx(db);
        this.writer = OutboxWriter.builder(db.dialect).tables(db.tables).build();
        this.cpu = new CpuUse(kafka.pid());
    }

    void run() throws Exception {
        long backlog = mode.backlog();
        String n = String.format("%,d", backlog);
        System.out.println("[kafka] " + db.label + ", backlog " + backlog);
        int batch = dev.outbox.OutboxConsumer.atLeastOnce("x", b -> {}).build().batchSize();
        plainProducer(WARM_UP_EVENTS);
        publish(WARM_UP_EVENTS, false, batch);
        publish(WARM_UP_EVENTS, true, batch);
        Stats.Samples plain = new Stats.Samples();
        Stats.Samples atLeastOnce = new Stats.Samples();
        Stats.Samples atLeastOnceLarge = new Stats.Samples();
        Stats.Samples exactlyOnce = new Stats.Samples();
        Stats.Samples exactlyOnceLarge = new Stats.Samples();
        Stats.Samples atLeastOnceRatio = new Stats.Samples();
        Stats.Samples atLeastOnceLargeRatio = new Stats.Samples();
        Stats.Samples exactlyOnceRatio = new Stats.Samples();
        Stats.Samples exactlyOnceLargeRatio = new Stats.Samples();
        Stats.Samples alone = new Stats.Samples();
        Stats.Samples aloneLarge = new Stats.Samples();
        Stats.Samples aloneRatio = new Stats.Samples();
        Stats.Samples aloneLargeRatio = new Stats.Samples();
        for (int rep = 0; rep < mode.reps(); rep++) {
            double before = plainProducer(backlog);
            double alo = publish(backlog, false, batch);
            double aloLarge = publish(backlog, false, LARGE_BATCH);
            double eos = publish(backlog, true, batch);
            double eosLarge = publish(backlog, true, LARGE_BATCH);
            double relay = relayAlone(backlog, batch);
            double relayLarge = relayAlone(backlog, LARGE_BATCH);
            // the producer alone varies by a third from run to run on this machine: the limit is the
            // better of a run before and one after the publisher's
            double limit = Math.max(before, plainProducer(backlog));
            plain.add(limit);
            atLeastOnce.add(alo);
            atLeastOnceLarge.add(aloLarge);
            exactlyOnce.add(eos);
            exactlyOnceLarge.add(eosLarge);
            atLeastOnceRatio.add(alo / limit);
            atLeastOnceLargeRatio.add(aloLarge / limit);
            exactlyOnceRatio.add(eos / limit);
            exactlyOnceLargeRatio.add(eosLarge / limit);
            alone.add(relay);
            aloneLarge.add(relayLarge);
            aloneRatio.add(relay / limit);
            aloneLargeRatio.add(relayLarge / limit);
        }
        String section = Report.Sections.KAFKA;
        String batches = ", batchSize " + batch + ", " + n;
        report.add(
                section,
                db.label,
                "plain producer, records from memory (the limit: the better of two per run), " + n,
                plain.stats(),
                "ev/s");
        report.add(section, db.label, "publisher at least once, end to end" + batches, atLeastOnce.stats(), "ev/s");
        report.add(
                section,
                db.label,
                "publisher at least once, end to end, batchSize " + LARGE_BATCH + ", " + n,
                atLeastOnceLarge.stats(),
                "ev/s");
        report.add(section, db.label, "publisher exactly once, end to end" + batches, exactlyOnce.stats(), "ev/s");
        report.add(
                section,
                db.label,
                "publisher exactly once, end to end, batchSize " + LARGE_BATCH + ", " + n,
                exactlyOnceLarge.stats(),
                "ev/s");
        report.add(
                section,
                db.label,
                "relay alone (sessions that do nothing), end to end" + batches,
                alone.stats(),
                "ev/s");
        report.add(
                section,
                db.label,
                "relay alone (sessions that do nothing), end to end, batchSize " + LARGE_BATCH + ", " + n,
                aloneLarge.stats(),
                "ev/s");
        report.target(section, db.label, "at least once / the limit", atLeastOnceRatio.stats(), "x", 0.7, false, "");
        report.target(
                section,
                db.label,
                "at least once, batchSize " + LARGE_BATCH + " / the limit",
                atLeastOnceLargeRatio.stats(),
                "x",
                0.7,
                false,
                "");
        report.target(section, db.label, "exactly once / the limit", exactlyOnceRatio.stats(), "x", 0.5, false, "");
        report.target(
                section,
                db.label,
                "exactly once, batchSize " + LARGE_BATCH + " / the limit",
                exactlyOnceLargeRatio.stats(),
                "x",
                0.5,
                false,
                "");
        report.add(section, db.label, "relay alone / the limit", aloneRatio.stats(), "x");
        report.add(
                section,
                db.label,
                "relay alone, batchSize " + LARGE_BATCH + " / the limit",
                aloneLargeRatio.stats(),
                "x");
        for (boolean transactional : new boolean[] {false, true}) {
            latency(transactional, 1_000); // warm-up, discarded
            Stats.Samples p50 = new Stats.Samples();
            Stats.Samples p99 = new Stats.Samples();
            for (int rep = 0; rep < mode.reps(); rep++) {
                LatencyBench.Percentiles p = latency(transactional, mode.latencyMillis());
                p50.add(p.p50());
                p99.add(p.p99());
            }
            String what = String.format(
                    "commit → read_committed consumer, %s, %,d ev/s",
                    transactional ? "exactly once" : "at least once", LATENCY_RATE);
            report.add(section, db.label, what + ", p50", p50.stats(), "ms");
            report.add(section, db.label, what + ", p99", p99.stats(), "ms");
        }
        db.reset();
    }

    /** The producer settings of both sides: the broker, and nothing else that Kafka's defaults would not be. */
    private Properties producerProperties() {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", kafka.bootstrapServers());
        return properties;
    }

    /**
     * The limit: {@code count} records shaped like the publisher's (key {@code k-<n>}, the payload of
     * the bench's events, the same headers), built in memory first, then sent by one idempotent
     * {@code acks=all} producer with Kafka's defaults until the last is acknowledged.
     */
    private double plainProducer(long count) throws Exception {
        String topic = topic("plain");
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>((int) count);
        String created = Instant.now().toString();
        for (long i = 1; i <= count; i++) {
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, bytes("k-" + i), bytes(payload(i)));
            record.headers().add(new RecordHeader("content-type", bytes("application/json")));
            record.headers().add(new RecordHeader("id", bytes(UUID.randomUUID().toString())));
            record.headers().add(new RecordHeader("outbox-seq", bytes(Long.toString(i))));
            record.headers().add(new RecordHeader("outbox-event-type", bytes("OrderPlaced")));
            record.headers().add(new RecordHeader("outbox-aggregate-type", bytes("order")));
            record.headers().add(new RecordHeader("outbox-created-at", bytes(created)));
            records.add(record);
        }
        Map<String, Object> settings = new HashMap<>();
        producerProperties().forEach((k, v) -> settings.put(k.toString(), v));
        settings.put("key.serializer", ByteArraySerializer.class.getName());
        settings.put("value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings)) {
            producer.partitionsFor(topic); // the topic exists and its metadata is known before the clock starts
            CountDownLatch acked = new CountDownLatch(records.size());
            AtomicInteger failed = new AtomicInteger();
            CpuUse.Snapshot cpuStart = cpu.now();
            long start = System.nanoTime();
            for (ProducerRecord<byte[], byte[]> record : records) {
                producer.send(record, (metadata, exception) -> {
                    if (exception != null) {
                        failed.incrementAndGet();
                    }
                    acked.countDown();
                });
            }
            if (!acked.await(15, TimeUnit.MINUTES) || failed.get() > 0) {
                throw new IllegalStateException(failed.get() + " records of the plain producer failed");
            }
            System.out.println("    plain producer: " + cpu.since(cpuStart).describe("broker", count));
            return count / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** The bench's payload of event {@code n}, as {@link BenchDb#payloadSql} makes it in the queue. */
    private static String payload(long n) {
        return "{\"orderId\":" + n + ",\"customerId\":\"c-" + (n % 9973) + "\",\"amount\":1999,\"currency\":\"EUR\","
                + "\"note\":\"" + "x".repeat(120) + "\"}";
    }

    /**
     * A backlog of {@code count} events queued in the outbox, then a relay started with the publisher
     * as its only consumer: events per second from the start to the publisher's return from the call
     * that holds the last event (every record of it acknowledged, or its transaction committed).
     */
    double publish(long count, boolean transactional, int batchSize) throws Exception {
        KafkaPublisher.Builder builder =
                KafkaPublisher.builder(producerProperties()).topicRouter(TopicRouter.fixed(topic("outbox")));
        if (transactional) {
            builder.exactlyOnce(topic("bench"));
        }
        try (KafkaPublisher publisher = builder.build()) {
            return drain(count, batchSize, publisher);
        }
    }

    /**
     * The same drain with sessions that do nothing: the relay's own speed on this machine (sequencer,
     * reads and checkpoints, with the broker idle), which no publisher can pass.
     */
    private double relayAlone(long count, int batchSize) throws Exception {
        return drain(count, batchSize, lease -> batch -> {});
    }

    /**
     * Events per second of a relay that drains a backlog of {@code count} events to {@code sessions},
     * from its start to the return of the call that holds the last event; prints where the CPU went.
     */
    private double drain(long count, int batchSize, SessionHandler sessions) throws Exception {
        db.reset();
        db.fillQueue(1, count, 50_000);
        CountDownLatch done = new CountDownLatch(1);
        long[] doneNanos = new long[1];
        try (HikariDataSource relayPool = db.newPool("relay-kafka", 4)) {
            SessionHandler timed = (Lease lease) -> {
                SessionHandler.Session session = sessions.open(lease);
                return new SessionHandler.Session() {
                    @Override
                    public void handle(List<OutboxRecord> batch) throws Exception {
                        session.handle(batch);
                        if (batch.get(batch.size() - 1).seq() >= count && doneNanos[0] == 0) {
                            doneNanos[0] = System.nanoTime();
                            done.countDown();
                        }
                    }

                    @Override
                    public void close() throws Exception {
                        session.close();
                    }
                };
            };
            long start;
            try (OutboxRelay relay = OutboxRelay.builder(relayPool, db.dialect)
                    .tables(db.tables)
                    .options(RelayOptions.builder().relayId("bench-kafka").build())
                    .consumer(dev.outbox.OutboxConsumer.withSessions("kafka", timed)
                            .startFrom(StartPosition.BEGINNING)
                            .batchSize(batchSize)
                            .readAhead(true) // as KafkaPublisher.consumer() builds it
                            .build())
                    .build()) {
                CpuUse.Snapshot cpuStart = cpu.now();
                start = System.nanoTime();
                relay.start();
                if (!done.await(15, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("the relay did not reach seq " + count + " in 15 minutes");
                }
                System.out.println("    drain, batchSize " + batchSize + ": "
                        + cpu.since(cpuStart).describe("broker", count));
            }
            return count / ((doneNanos[0] - start) / 1e9);
        }
    }

    /**
     * Commit returned to the record read by a {@code read_committed} consumer, for events offered at
     * {@value #LATENCY_RATE} a second (open loop, as section 3), one business transaction each.
     */
    private LatencyBench.Percentiles latency(boolean transactional, long millis) throws Exception {
        db.reset();
        String topic = topic("latency");
        int total = (int) (LATENCY_RATE * (LatencyBench.WARM_UP_MILLIS + millis) / 1000);
        int warm = (int) (LATENCY_RATE * LatencyBench.WARM_UP_MILLIS / 1000);
        long[] committed = new long[total];
        long[] read = new long[total];
        AtomicInteger seen = new AtomicInteger();
        AtomicBoolean reading = new AtomicBoolean(true);
        KafkaPublisher.Builder builder =
                KafkaPublisher.builder(producerProperties()).topicRouter(TopicRouter.fixed(topic));
        if (transactional) {
            builder.exactlyOnce(topic("bench-latency"));
        }
        try (KafkaPublisher publisher = builder.build();
                HikariDataSource relayPool = db.newPool("relay-kafka-latency", 4);
                OutboxRelay relay = OutboxRelay.builder(relayPool, db.dialect)
                        .tables(db.tables)
                        .options(RelayOptions.builder()
                                .relayId("bench-kafka-latency")
                                .build())
                        .consumer(publisher.consumer("kafka").build())
                        .build()
                        .start()) {
            // the topic exists and the reader is at its start before the load begins
            appendOne("k-warm");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                while (!admin.listTopics().names().get().contains(topic)) {
                    Thread.sleep(50); // created by the broker when the first record is published
                }
            }
            Thread reader = new Thread(() -> readAll(topic, reading, read, seen), "bench-kafka-reader");
            reader.start();
            Thread.sleep(1_000);
            LatencyBench.offer(LATENCY_RATE, total, committed, i -> appendOne("k-" + i));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (seen.get() < total && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            reading.set(false);
            reader.join();
            if (seen.get() < total) {
                throw new IllegalStateException("only " + seen.get() + " of " + total + " records read");
            }
        }
        long[] latencies = new long[total - warm];
        for (int i = warm; i < total; i++) {
            latencies[i - warm] = Math.max(0, read[i] - committed[i]);
        }
        return LatencyBench.percentiles(latencies);
    }

    private void appendOne(String key) {
        writer.inTransaction(db.pool, tx -> {
            business.businessWrites(tx.connection());
            tx.append(BusinessTx.event(key));
            return null;
        });
    }

    private void readAll(String topic, AtomicBoolean reading, long[] read, AtomicInteger seen) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", kafka.bootstrapServers());
        settings.put("isolation.level", "read_committed");
        settings.put("enable.auto.commit", false);
        settings.put("fetch.max.wait.ms", 10); // the reader's own wait is not the publisher's latency
        settings.put("key.deserializer", ByteArrayDeserializer.class.getName());
        settings.put("value.deserializer", ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (reading.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                    long now = System.nanoTime();
                    String key = new String(record.key(), StandardCharsets.UTF_8);
                    if (key.equals("k-warm")) {
                        continue;
                    }
                    int i = Integer.parseInt(key.substring(2));
                    if (read[i] == 0) {
                        read[i] = now;
                        seen.incrementAndGet();
                    }
                }
            }
        }
    }

    private String topic(String stem) throws Exception {
        String topic = "bench-" + stem + "-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        return topic;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
