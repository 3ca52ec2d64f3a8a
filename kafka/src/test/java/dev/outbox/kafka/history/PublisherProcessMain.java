package dev.outbox.kafka.history;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Lease;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.RelayOptions;
import dev.outbox.RetryPolicy;
import dev.outbox.SessionHandler;
import dev.outbox.StartPosition;
import dev.outbox.kafka.KafkaPublisher;
import dev.outbox.kafka.TopicRouter;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testsupport.faults.ChildOutput;
import dev.outbox.testsupport.faults.PoolSettings;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The main class of a relay process of a publisher history run ({@link PublisherProcess}): a relay
 * with two publishing consumers, {@value #AT_LEAST_ONCE} and {@value #EXACTLY_ONCE}, each to a topic
 * of its own, until it is killed or stopped (SIGTERM closes the relay). Records every call of each
 * publisher in its recording file, flushed before the publisher runs: {@code B <consumer> <call>
 * <start millis> <seq,seq,...>}, then {@code E <consumer> <call> <end millis> <ok|failed>}; reports
 * {@code clients <version>} (of kafka-clients) once started, {@code batch <consumer>} to the parent as a
 * call begins, and {@code owns <consumer> <partitions>} as what it holds changes.
 */
public final class PublisherProcessMain {

    public static final String AT_LEAST_ONCE = "to-kafka";
    public static final String EXACTLY_ONCE = "to-kafka-exactly";

    private static final AtomicLong CALLS = new AtomicLong();

    private PublisherProcessMain() {}

    public static void main(String[] args) throws Exception {
        Properties settings = PoolSettings.load(args[0]);
        HikariDataSource dataSource = PoolSettings.open(settings, "publisher-process", 8);
        OutboxDialect dialect = (OutboxDialect) Class.forName(settings.getProperty("dialect"))
                .getMethod("create")
                .invoke(null);
        OutboxTables tables = OutboxTables.of(settings.getProperty("schema"), settings.getProperty("prefix"));
        ChildOutput recording = ChildOutput.open(settings);
        Properties producer = new Properties();
        producer.setProperty("bootstrap.servers", settings.getProperty("bootstrap"));
        producer.setProperty("delivery.timeout.ms", "8000");
        producer.setProperty("request.timeout.ms", "3000");
        producer.setProperty("max.block.ms", "8000");
        producer.setProperty("reconnect.backoff.max.ms", "500");
        producer.setProperty("client.id", settings.getProperty("relayId"));
        KafkaPublisher atLeastOnce = KafkaPublisher.builder(producer)
                .topicRouter(TopicRouter.fixed(settings.getProperty("topic.atLeastOnce")))
                .build();
        KafkaPublisher exactlyOnce = KafkaPublisher.builder(producer)
                .topicRouter(TopicRouter.fixed(settings.getProperty("topic.exactlyOnce")))
                .exactlyOnce(settings.getProperty("transactionalIdPrefix"))
                .checkpointTopic(settings.getProperty("checkpointTopic"))
                .build();
        int partitions = Integer.parseInt(settings.getProperty("partitions"));
        RetryPolicy quickRetries = new RetryPolicy(Duration.ofMillis(50), Duration.ofSeconds(1), 0.2, 10);
        OutboxRelay relay = OutboxRelay.builder(dataSource, dialect)
                .tables(tables)
                .options(RelayOptions.builder()
                        .relayId(settings.getProperty("relayId"))
                        .sequencerBatchSize(200)
                        .pollFloor(Duration.ofMillis(5))
                        .pollCeiling(Duration.ofMillis(200))
                        .leaseDuration(Duration.ofMillis(Long.parseLong(settings.getProperty("leaseMillis"))))
                        .shutdownTimeout(Duration.ofSeconds(30))
                        .build())
                .consumer(consumer(AT_LEAST_ONCE, atLeastOnce, recording, partitions, quickRetries))
                .consumer(consumer(EXACTLY_ONCE, exactlyOnce, recording, partitions, quickRetries))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            relay.close();
            atLeastOnce.close();
            exactlyOnce.close();
            recording.flush();
            dataSource.close();
        }));
        relay.start();
        ChildOutput.report("clients " + KafkaClientsVersion.get());
        String owned = "";
        while (true) {
            String now = AT_LEAST_ONCE + " " + relay.ownedPartitions(AT_LEAST_ONCE) + " " + EXACTLY_ONCE + " "
                    + relay.ownedPartitions(EXACTLY_ONCE);
            if (!now.equals(owned)) {
                ChildOutput.report("owns " + now.replace(" ", ""));
                owned = now;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    private static OutboxConsumer consumer(
            String name, KafkaPublisher publisher, ChildOutput recording, int partitions, RetryPolicy retries) {
        return OutboxConsumer.withSessions(name, recorded(name, publisher, recording))
                .startFrom(StartPosition.BEGINNING)
                .batchSize(100)
                .partitions(partitions)
                .retryPolicy(retries)
                .readAhead(true) // as KafkaPublisher.consumer(name) builds it
                .build();
    }

    /** {@code publisher}, with each call recorded before it runs and after it returned. */
    private static SessionHandler recorded(String consumer, KafkaPublisher publisher, ChildOutput recording) {
        return (Lease lease) -> {
            SessionHandler.Session session = publisher.open(lease);
            return new SessionHandler.Session() {
                @Override
                public void handle(List<OutboxRecord> batch) throws Exception {
                    long call = CALLS.incrementAndGet();
                    String seqs = batch.stream()
                            .map(record -> Long.toString(record.seq()))
                            .collect(Collectors.joining(","));
                    record(recording, "B " + consumer + " " + call + " " + System.currentTimeMillis() + " " + seqs);
                    ChildOutput.report("batch " + consumer);
                    String outcome = "ok";
                    try {
                        session.handle(batch);
                    } catch (Exception | Error e) {
                        outcome = "failed:" + e.getClass().getSimpleName();
                        throw e;
                    } finally {
                        record(
                                recording,
                                "E " + consumer + " " + call + " " + System.currentTimeMillis() + " " + outcome);
                    }
                }

                @Override
                public void redeliver(List<OutboxRecord> deadLetters) throws Exception {
                    session.redeliver(deadLetters);
                }

                @Override
                public void close() throws Exception {
                    session.close();
                }
            };
        };
    }

    /** A line of the recording, in the operating system before the call goes on: it survives SIGKILL. */
    private static void record(ChildOutput recording, String line) {
        recording.record(line);
        recording.flush();
    }
}
