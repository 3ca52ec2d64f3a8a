package dev.outbox.kafka;

import static dev.outbox.testkit.Await.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.outbox.ConsumerStatus;
import dev.outbox.DeadLetter;
import dev.outbox.FailurePolicy;
import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import dev.outbox.localkafka.CommittedRecords.CommittedRecord;
import dev.outbox.localkafka.LocalKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * The publisher against a real broker and a real database: what a record looks like, each key's
 * order, partitions, both modes; entries that cannot be published and settings that are refused;
 * a broker that is down; exactly-once mode's position in Kafka against a checkpoint that lags or
 * a reset.
 */
abstract class KafkaPublisherTest extends KafkaTestBase {

    private static final RetryPolicy ONE_ATTEMPT = new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(200), 0, 1);

    enum Mode {
        AT_LEAST_ONCE,
        EXACTLY_ONCE
    }

    private KafkaPublisher publisher(LocalKafka kafka, Mode mode, TopicRouter router) {
        KafkaPublisher.Builder builder =
                KafkaPublisher.builder(producerProperties(kafka)).topicRouter(router);
        if (mode == Mode.EXACTLY_ONCE) {
            builder.exactlyOnce(uniqueName("tx"));
        }
        return closeAfterTest(builder.build());
    }

    /** Starts relay {@code relayId} with consumer {@code name} publishing with {@code publisher} from the log's start. */
    private OutboxRelay startPublishing(
            String relayId, KafkaPublisher publisher, String name, UnaryOperator<OutboxConsumer.Builder> settings) {
        return startRelay(
                relayId,
                builder ->
                        builder.consumer(settings.apply(publisher.consumer(name).startFrom(StartPosition.BEGINNING))
                                .build()));
    }

    /** {@code count} events, one committed transaction each, key {@code k<i % keys>}. */
    private void appendEach(int count, int keys) {
        for (int i = 0; i < count; i++) {
            appendCommitted(OutboxEvent.of("k" + i % keys, "E", "{}"));
        }
    }

    /** {@code count} events over {@code keys} keys of two aggregate types, committed 1 to 3 at a time. */
    private List<OutboxEvent> appendOverKeys(int count, int keys) {
        List<OutboxEvent> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int key = i % keys;
            events.add(
                    OutboxEvent.of(key % 2 == 0 ? "course" : "student", "key-" + key, "Happened", "{\"i\":" + i + "}"));
        }
        for (int from = 0; from < count; ) {
            int size = Math.min(count - from, 1 + from % 3);
            appendCommitted(events.subList(from, from + size).toArray(OutboxEvent[]::new));
            from += size;
        }
        return events;
    }

    /** Each key's records, in the order Kafka holds them (a key lives in one partition). */
    private static Map<String, List<Long>> seqsByKey(List<CommittedRecord> seen) {
        Map<String, List<Long>> byKey = new TreeMap<>();
        for (CommittedRecord record : seen) {
            byKey.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.seq());
        }
        return byKey;
    }

    private Map<String, List<Long>> logSeqsByKey() throws Exception {
        Map<String, List<Long>> byKey = new TreeMap<>();
        for (LogEntry entry : log()) {
            byKey.computeIfAbsent(entry.key(), k -> new ArrayList<>()).add(entry.seq());
        }
        return byKey;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldPublishEveryEventOnceWithItsTopicKeyAndHeadersInEachKeysOrder(Mode mode) throws Exception {
        LocalKafka kafka = sharedKafka();
        String prefix = uniqueName("shop");
        KafkaPublisher publisher = publisher(kafka, mode, TopicRouter.byAggregateType(prefix));
        String name = uniqueName("kafka");
        startPublishing("r1", publisher, name, consumer -> consumer.batchSize(50));
        List<OutboxEvent> events = appendOverKeys(300, 12);

        List<CommittedRecord> seen =
                readCommitted(kafka, List.of(prefix + ".course", prefix + ".student"), 300, TIMEOUT);

        assertThat(seen).hasSize(300);
        Map<String, OutboxEvent> byId = events.stream()
                .collect(Collectors.toMap(event -> event.eventId().toString(), event -> event));
        Map<Long, LogEntry> logBySeq = log().stream().collect(Collectors.toMap(LogEntry::seq, entry -> entry));
        for (CommittedRecord record : seen) {
            OutboxEvent event = byId.get(record.headers().get("id"));
            assertThat(event).as("event of record %s", record).isNotNull();
            assertThat(record.topic()).isEqualTo(prefix + "." + event.aggregateType());
            assertThat(record.key()).isEqualTo(event.aggregateId());
            assertThat(record.value()).isEqualTo(event.payload());
            assertThat(record.headers())
                    .containsEntry("outbox-event-type", "Happened")
                    .containsEntry("outbox-aggregate-type", event.aggregateType())
                    .containsKey("outbox-created-at");
            assertThat(logBySeq.get(record.seq()).eventId()).isEqualTo(event.eventId());
        }
        assertThat(seqsByKey(seen)).isEqualTo(logSeqsByKey());
    }

    @Test
    void shouldPublishOutboxPartitionKToKafkaPartitionK() throws Exception {
        LocalKafka kafka = sharedKafka();
        String topic = uniqueName("split");
        createTopic(kafka, topic, 4, Map.of());
        KafkaPublisher publisher = publisher(kafka, Mode.AT_LEAST_ONCE, TopicRouter.fixed(topic));
        String name = uniqueName("kafka");
        OutboxRelay relay = startPublishing("r1", publisher, name, consumer -> consumer.partitions(4));
        await().atMost(TIMEOUT).until(() -> relay.ownedPartitions(name).size() == 4);
        appendOverKeys(200, 40);

        List<CommittedRecord> seen = readCommitted(kafka, List.of(topic), 200, TIMEOUT);

        assertThat(seen).hasSize(200);
        for (CommittedRecord record : seen) {
            assertThat(record.partition()).isEqualTo(KeyPartitioner.partitionOf(record.key(), 4));
        }
        assertThat(seqsByKey(seen)).isEqualTo(logSeqsByKey());
    }

    @Test
    void shouldBlockAtAnEntryItsRouterCannotNameAndGoOnInOrderOnceItCan() throws Exception {
        LocalKafka kafka = sharedKafka();
        String topic = uniqueName("routed");
        AtomicBoolean fixed = new AtomicBoolean();
        KafkaPublisher publisher = publisher(
                kafka, Mode.AT_LEAST_ONCE, record -> record.eventType().equals("Odd") && !fixed.get() ? null : topic);
        String name = uniqueName("kafka");
        OutboxRelay relay = startPublishing("r1", publisher, name, consumer -> consumer.retryPolicy(ONE_ATTEMPT));
        for (int i = 1; i <= 10; i++) {
            appendCommitted(OutboxEvent.of("k" + i % 3, i == 6 ? "Odd" : "Even", "{}"));
        }

        await().atMost(TIMEOUT).until(() -> relay.status(name).state() == ConsumerStatus.State.BLOCKED);
        ConsumerStatus blocked = relay.status(name);
        assertThat(blocked.blockedAtSeq()).isEqualTo(6);
        assertThat(blocked.checkpoint()).isEqualTo(5);
        assertThat(blocked.lastError())
                .contains("UnpublishableRecordException")
                .contains("seq 6")
                .contains("its topic router returned null");
        assertThat(readCommitted(kafka, List.of(topic), 5, TIMEOUT))
                .extracting(CommittedRecord::seq)
                .containsExactly(1L, 2L, 3L, 4L, 5L);

        fixed.set(true);
        await().atMost(TIMEOUT).until(() -> relay.status(name).checkpoint() == 10);
        assertThat(readCommitted(kafka, List.of(topic), 10, TIMEOUT))
                .extracting(CommittedRecord::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 10).boxed().toList());
        assertThat(relay.status(name).state()).isEqualTo(ConsumerStatus.State.RUNNING);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldParkARecordOverTheTopicsLimitSendingNothingOfItAndLoseNothing(Mode mode) throws Exception {
        LocalKafka kafka = sharedKafka();
        String topic = uniqueName("limited");
        createTopic(kafka, topic, 1, Map.of("max.message.bytes", "20000"));
        KafkaPublisher publisher = publisher(kafka, mode, TopicRouter.fixed(topic));
        String name = uniqueName("kafka");
        OutboxRelay relay = startPublishing(
                "r1",
                publisher,
                name,
                consumer -> consumer.retryPolicy(ONE_ATTEMPT).failurePolicy(FailurePolicy.PARK));
        appendCommitted(
                OutboxEvent.of("a", "Small", "{}"),
                OutboxEvent.of("b", "Small", "{}"),
                OutboxEvent.of("c", "Huge", "\"" + "x".repeat(30_000) + "\""),
                OutboxEvent.of("d", "Small", "{}"));

        await().atMost(TIMEOUT).until(() -> relay.status(name).parkedCount() == 1);
        await().atMost(TIMEOUT).until(() -> relay.status(name).checkpoint() == 4);
        DeadLetter parked = relay.deadLetters().list(name).get(0);
        assertThat(parked.record().seq()).isEqualTo(3);
        assertThat(parked.errorClass()).isEqualTo(UnpublishableRecordException.class.getName());
        assertThat(parked.errorMessage())
                .contains("seq 3")
                .contains("max.message.bytes (20000)")
                .contains("topic '" + topic + "'");
        assertThat(readCommitted(kafka, List.of(topic), 3, TIMEOUT))
                .extracting(CommittedRecord::seq)
                .containsExactly(1L, 2L, 4L);
    }

    @Test
    void shouldBlockAtARecordOverTheProducersMaxRequestSizeSendingNothingOfIt() throws Exception {
        LocalKafka kafka = sharedKafka();
        String topic = uniqueName("request-size");
        Properties properties = producerProperties(kafka);
        properties.setProperty("max.request.size", "10000");
        KafkaPublisher publisher = closeAfterTest(KafkaPublisher.builder(properties)
                .topicRouter(TopicRouter.fixed(topic))
                .build());
        String name = uniqueName("kafka");
        OutboxRelay relay = startPublishing("r1", publisher, name, consumer -> consumer.retryPolicy(ONE_ATTEMPT));
        appendCommitted(
                OutboxEvent.of("a", "Small", "{}"),
                OutboxEvent.of("b", "Huge", "\"" + "x".repeat(12_000) + "\""),
                OutboxEvent.of("c", "Small", "{}"));

        await().atMost(TIMEOUT).until(() -> relay.status(name).state() == ConsumerStatus.State.BLOCKED);
        ConsumerStatus blocked = relay.status(name);
        assertThat(blocked.blockedAtSeq()).isEqualTo(2);
        assertThat(blocked.lastError()).contains("seq 2").contains("max.request.size (10000)");
        assertThat(readCommitted(kafka, List.of(topic), 1, TIMEOUT))
                .extracting(CommittedRecord::seq)
                .containsExactly(1L);
    }

    @Test
    void shouldRefuseAProducerThatWouldWeakenAGuaranteeWhenItIsBuilt() {
        Properties weak = new Properties();
        weak.setProperty("bootstrap.servers", "127.0.0.1:1");
        weak.setProperty("acks", "1");
        assertThatThrownBy(() -> KafkaPublisher.builder(weak).build())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("acks=1 is refused");
        weak.setProperty("acks", "all");
        weak.setProperty("enable.idempotence", "false");
        assertThatThrownBy(() -> KafkaPublisher.builder(weak).build())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("enable.idempotence=false is refused");
        weak.remove("enable.idempotence");
        assertThatThrownBy(() ->
                        KafkaPublisher.builder(weak).exactlyOnce("has space").build())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("transactionalIdPrefix");
    }

    @Test
    void shouldGiveConsumersThatReadTheNextBatchWhileKafkaAcknowledgesThisOne() {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", "127.0.0.1:1");
        try (KafkaPublisher publisher = KafkaPublisher.builder(properties).build()) {
            assertThat(publisher.consumer("c").build().readsAhead()).isTrue();
            assertThat(publisher.consumer("c").readAhead(false).build().readsAhead())
                    .isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldWaitForABrokerThatIsDownShowItAndCountNothingAgainstTheEvents(Mode mode) throws Exception {
        try (LocalKafka kafka = LocalKafka.builder().start()) {
            String topic = uniqueName("outage");
            KafkaPublisher publisher = publisher(kafka, mode, TopicRouter.fixed(topic));
            String name = uniqueName("kafka");
            OutboxRelay relay = startPublishing(
                    "r1",
                    publisher,
                    name,
                    consumer -> consumer.retryPolicy(ONE_ATTEMPT).failurePolicy(FailurePolicy.PARK));
            appendCommitted(OutboxEvent.of("a", "E", "{}"));
            await().atMost(TIMEOUT).until(() -> relay.status(name).checkpoint() == 1);

            kafka.stop();
            appendCommitted(OutboxEvent.of("a", "E", "{}"), OutboxEvent.of("b", "E", "{}"));
            await().atMost(TIMEOUT)
                    .until(() -> relay.status(name).state() == ConsumerStatus.State.WAITING_FOR_DOWNSTREAM);
            assertThat(relay.status(name).waitingSince()).isNotNull();

            kafka.start();
            await().atMost(TIMEOUT).until(() -> relay.status(name).checkpoint() == 3);
            await().atMost(TIMEOUT).until(() -> relay.status(name).state() == ConsumerStatus.State.RUNNING);
            assertThat(relay.deadLetters().list(name)).isEmpty();
            List<CommittedRecord> seen = readCommitted(kafka, List.of(topic), 3, TIMEOUT);
            assertThat(seen).extracting(CommittedRecord::seq).containsExactly(1L, 2L, 3L);
            closeWhatTheTestStarted();
        }
    }

    @Test
    void shouldNotPublishAgainWhatKafkaHoldsWhenTheCheckpointLagsBehindIt() throws Exception {
        LocalKafka kafka = sharedKafka();
        String topic = uniqueName("exactly");
        KafkaPublisher publisher = publisher(kafka, Mode.EXACTLY_ONCE, TopicRouter.fixed(topic));
        String name = uniqueName("kafka");
        OutboxRelay first = startPublishing("r1", publisher, name, consumer -> consumer);
        appendEach(10, 2);
        await().atMost(TIMEOUT).until(() -> first.status(name).checkpoint() == 10);
        first.close();
        // as if the relay had died after Kafka committed seqs 5 to 10 and before it saved them
        execute("UPDATE " + table(tables.consumerTable()) + " SET " + column("checkpoint_seq") + " = 4 WHERE "
                + column("name") + " = '" + name + "'");

        OutboxRelay second = startPublishing("r2", publisher, name, consumer -> consumer);
        appendEach(5, 2);
        await().atMost(TIMEOUT).until(() -> second.status(name).checkpoint() == 15);

        assertThat(readCommitted(kafka, List.of(topic), 15, TIMEOUT))
                .extracting(CommittedRecord::seq)
                .containsExactlyInAnyOrderElementsOf(
                        LongStream.rangeClosed(1, 15).boxed().toList());
    }

    @Test
    void shouldWaitForATransactionOpenOnTheCheckpointTopicAndSayWhoHoldsItBack() throws Exception {
        LocalKafka kafka = sharedKafka();
        String topic = uniqueName("held");
        String checkpoints = uniqueName("positions");
        createTopic(kafka, checkpoints, 1, Map.of("cleanup.policy", "compact"));
        KafkaPublisher publisher = closeAfterTest(KafkaPublisher.builder(producerProperties(kafka))
                .topicRouter(TopicRouter.fixed(topic))
                .exactlyOnce(uniqueName("tx"))
                .checkpointTopic(checkpoints)
                .build());
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger checkpointLog = (Logger) LoggerFactory.getLogger("dev.outbox.kafka.internal.CheckpointTopic");
        checkpointLog.addAppender(logged);
        Properties holding = producerProperties(kafka);
        holding.setProperty("transactional.id", uniqueName("someone-else"));
        holding.setProperty("key.serializer", ByteArraySerializer.class.getName());
        holding.setProperty("value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> holder = new KafkaProducer<>(holding)) {
            // another producer's transaction, open on the topic before the publisher reads its position
            holder.initTransactions();
            holder.beginTransaction();
            holder.send(new ProducerRecord<>(checkpoints, 0, "not a position".getBytes(UTF_8), "{}".getBytes(UTF_8)))
                    .get();
            appendEach(3, 1);
            String name = uniqueName("kafka");
            OutboxRelay relay = startPublishing("r1", publisher, name, consumer -> consumer);

            await("the position read held back and saying by whom")
                    .atMost(TIMEOUT)
                    .until(() -> logged.list.stream()
                            .anyMatch(event -> event.getFormattedMessage().contains("what holds it back")));
            String said = logged.list.stream()
                    .map(ILoggingEvent::getFormattedMessage)
                    .filter(message -> message.contains("what holds it back"))
                    .findFirst()
                    .orElseThrow();
            assertThat(said)
                    .containsPattern("\\[producer \\d+ epoch \\d+ since offset 0]")
                    .doesNotContain("HANGING") // its coordinator has it open: it ends when its producer says so
                    .doesNotContain("could not ask");
            assertThat(relay.status(name).checkpoint()).isZero();

            holder.commitTransaction();
            await().atMost(TIMEOUT).until(() -> relay.status(name).checkpoint() == 3);
        } finally {
            checkpointLog.detachAppender(logged);
        }
        assertThat(readCommitted(kafka, List.of(topic), 3, TIMEOUT))
                .extracting(CommittedRecord::seq)
                .containsExactly(1L, 2L, 3L);
    }

    @Test
    void shouldReplayWhatAResetAsksForInExactlyOnceMode() throws Exception {
        LocalKafka kafka = sharedKafka();
        String topic = uniqueName("replay");
        KafkaPublisher publisher = publisher(kafka, Mode.EXACTLY_ONCE, TopicRouter.fixed(topic));
        String name = uniqueName("kafka");
        OutboxRelay relay = startPublishing("r1", publisher, name, consumer -> consumer);
        appendEach(6, 1);
        await().atMost(TIMEOUT).until(() -> relay.status(name).checkpoint() == 6);

        relay.resetConsumer(name, 3); // the checkpoint is 2 from now on, until the replay passes 6 again
        await().atMost(TIMEOUT).until(() -> relay.status(name).checkpoint() == 6);

        assertThat(readCommitted(kafka, List.of(topic), 10, TIMEOUT))
                .extracting(CommittedRecord::seq)
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 3L, 4L, 5L, 6L);
    }
}
