package dev.outbox.kafka.connect;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.PartitionStatus;
import dev.outbox.kafka.RecordMapping;
import dev.outbox.kafka.TopicRouter;
import dev.outbox.kafka.ValueSerializer;
import dev.outbox.localkafka.CommittedRecords.CommittedRecord;
import dev.outbox.localkafka.LocalConnect;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * The connector's round trip on one database: every entry reaches Kafka once, as the publisher's
 * record mapping makes it, in its key's partition and in seq order per key; the position reaches
 * the consumer rows; an operator's replay through Connect's offsets API delivers again.
 */
abstract class ConnectorTestBase extends ConnectTestBase {

    private static final int PARTITIONS = 3;

    @Test
    void shouldDeliverEveryEntryOnceAsThePublisherMapsItInKeyOrder() throws Exception {
        String prefix = uniqueName("round-trip");
        String topic = prefix + ".course";
        createTopic(topic, PARTITIONS);
        for (int tx = 0; tx < 60; tx++) {
            OutboxEvent[] events = new OutboxEvent[10];
            for (int i = 0; i < events.length; i++) {
                events[i] = OutboxEvent.of("course", "course-" + ((tx * 7 + i) % 25), "Changed", "{\"n\":" + i + "}")
                        .withHeader("traceparent", "00-" + tx + "-" + i);
            }
            appendCommitted(events);
        }
        String consumer = uniqueName("to-kafka");
        String name = uniqueName("outbox");
        putConnector(
                name,
                connectorConfig(
                        consumer,
                        Map.of(
                                "tasks.max",
                                "2",
                                "outbox.partitions",
                                Integer.toString(PARTITIONS),
                                "outbox.batch.size",
                                "100",
                                "outbox.topic.prefix",
                                prefix)));
        awaitRunning(name, 2);

        List<CommittedRecord> seen = readCommitted(topic, 600, TIMEOUT);

        OutboxRelay reader = readingRelay();
        List<OutboxRecord> log = reader.log().read(1, 1000);
        assertThat(log).hasSize(600);
        assertThat(seen).hasSize(600);
        Map<Long, CommittedRecord> bySeq = seen.stream().collect(Collectors.toMap(CommittedRecord::seq, s -> s));
        assertThat(bySeq).hasSize(600);
        RecordMapping mapping = RecordMapping.of(TopicRouter.byAggregateType(prefix), ValueSerializer.payloadUtf8());
        for (OutboxRecord entry : log) {
            ProducerRecord<byte[], byte[]> expected = mapping.toRecord(entry);
            CommittedRecord record = bySeq.get(entry.seq());
            assertThat(record.topic()).isEqualTo(expected.topic());
            assertThat(record.key()).isEqualTo(new String(expected.key(), StandardCharsets.UTF_8));
            assertThat(record.value()).isEqualTo(new String(expected.value(), StandardCharsets.UTF_8));
            Map<String, String> expectedHeaders = new LinkedHashMap<>();
            for (Header header : expected.headers()) {
                expectedHeaders.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
            }
            assertThat(record.headers()).containsExactlyEntriesOf(expectedHeaders);
            assertThat(record.partition()).isEqualTo(KeyPartitioner.partitionOf(entry.aggregateId(), PARTITIONS));
        }
        Map<String, Long> newestOfKey = new HashMap<>();
        for (CommittedRecord record : seen) { // each partition in offset order
            Long newest = newestOfKey.put(record.key(), record.seq());
            if (newest != null) {
                assertThat(record.seq()).as("key %s", record.key()).isGreaterThan(newest);
            }
        }
        // the position reaches the consumer's rows, for retention, status and the CLI
        await("the consumer rows at the head")
                .atMost(TIMEOUT)
                .until(() -> reader.status(consumer).partitions().stream()
                        .allMatch(partition -> partition.checkpoint() == 600));
        assertThat(reader.status(consumer).partitions())
                .extracting(PartitionStatus::partition)
                .containsExactly(0, 1, 2);

        // an operator's replay: partition 0 from the start, through Connect's offsets API
        assertThat(connect()
                        .request("PUT", "/connectors/" + name + "/stop", null)
                        .isSuccess())
                .isTrue();
        await("the connector stopped")
                .atMost(TIMEOUT)
                .until(() -> connect()
                        .request("GET", "/connectors/" + name + "/status", null)
                        .body()
                        .contains("\"STOPPED\""));
        String partition0 = "{\"tables\":\"" + OutboxSourceTask.tablesName(tables) + "\",\"consumer\":\"" + consumer
                + "\",\"partition\":0}";
        LocalConnect.Response altered = connect()
                .request(
                        "PATCH",
                        "/connectors/" + name + "/offsets",
                        "{\"offsets\":[{\"partition\":" + partition0 + ",\"offset\":{\"seq\":0}}]}");
        assertThat(altered.isSuccess()).as("%s", altered).isTrue();
        LocalConnect.Response refused = connect()
                .request(
                        "PATCH",
                        "/connectors/" + name + "/offsets",
                        "{\"offsets\":[{\"partition\":" + partition0 + ",\"offset\":{\"seq\":\"x\"}}]}");
        assertThat(refused.isSuccess()).isFalse();
        assertThat(refused.body()).contains("{\\\"seq\\\": N}");
        assertThat(connect()
                        .request("PUT", "/connectors/" + name + "/resume", null)
                        .isSuccess())
                .isTrue();
        awaitRunning(name, 2);
        long inPartition0 = seen.stream().filter(s -> s.partition() == 0).count();
        List<CommittedRecord> replayed = readCommitted(topic, 600 + (int) inPartition0, TIMEOUT);
        assertThat(replayed).hasSize(600 + (int) inPartition0);
        assertThat(replayed.stream().filter(s -> s.partition() == 0).count()).isEqualTo(2 * inPartition0);
    }
}
