package dev.outbox.kafka.connect;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.PartitionStatus;
import dev.outbox.localkafka.CommittedRecords.CommittedRecord;
import dev.outbox.testsupport.history.PublisherHistory;
import dev.outbox.testsupport.history.PublisherHistory.Published;
import dev.outbox.testsupport.history.PublisherHistory.Violation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connector's history run: business transactions append events (50 keys, 1 to 4 events each)
 * while the connector (3 partitions, exactly once required) delivers them through a Connect worker
 * killed with SIGKILL and restarted, a reconfiguration from 1 task to 3 (Connect fences the old
 * task's transactional producer), and a broker killed with SIGKILL (between two commits) and
 * restarted. Then a {@code read_committed} consumer reads the topic to the end and {@link
 * PublisherHistory}, the publisher's judge, checks it against the log: every entry once, each key
 * in seq order, each in its key's partition. The sequence runs once in the suite; {@code
 * -Doutbox.connect.soak.rounds=N} repeats the faults N times (task count back to 1 between rounds).
 */
abstract class ConnectorHistoryTestBase extends ConnectTestBase {

    /**
     * How long the connector may take to deliver again after the broker's SIGKILL. Usually 2 s; once
     * in CI the worker had rebalanced during the outage (its tasks could not stop gracefully) and the
     * new tasks waited more than 90 s in Connect's own read of its offsets topic (read_committed, so
     * behind a transaction the restarted broker had yet to abort) before our task's start() was even
     * called. A stall that never ends still fails.
     */
    private static final Duration BROKER_RECOVERY = Duration.ofMinutes(3);

    private static final Logger LOG = LoggerFactory.getLogger(ConnectorHistoryTestBase.class);
    /** How long a commit the worker asked for before it froze takes to be carried out by the broker. */
    private static final Duration COMMIT_SETTLES = Duration.ofMillis(500);

    private static final int PARTITIONS = 3;
    private static final int KEYS = 50;

    /**
     * Kills the broker with SIGKILL and starts it again, the worker frozen meanwhile, so that no
     * task's commit is half written when the broker dies. A broker alone in its cluster, killed while
     * its coordinator writes a commit's markers, comes back fenced by its own previous registration
     * for a few seconds and skips the markers of its leaderless partitions for good: the transaction
     * hangs, and Connect's read_committed read of its offsets topic never ends (a Kafka limitation,
     * see the README, Publishing to Kafka; it failed this test once in CI before the worker was frozen
     * for it). Transactions open at the kill are aborted, the records in flight sent again, as they
     * would be anywhere.
     */
    private static void killBrokerBetweenCommits() throws InterruptedException {
        connect().pause();
        try {
            Thread.sleep(COMMIT_SETTLES.toMillis());
            kafka().kill();
            kafka().start();
        } finally {
            connect().resume();
        }
    }

    @Test
    void shouldDeliverEveryCommittedEventExactlyOnceThroughWorkerBrokerAndTaskFaults() throws Exception {
        int rounds = Integer.getInteger("outbox.connect.soak.rounds", 1);
        String topic = uniqueName("history");
        createTopic(topic, PARTITIONS);
        String consumer = uniqueName("history");
        String name = uniqueName("outbox-history");
        OutboxRelay reader = readingRelay();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong appended = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            Thread writer = new Thread(() -> write(writing, appended), "history-writer-" + w);
            writer.start();
            writers.add(writer);
        }
        try {
            for (int round = 1; round <= rounds; round++) {
                putConnector(name, config(consumer, topic, 1));
                awaitRunning(name, 1);
                awaitProgress(reader, consumer, name, "round " + round + ": delivering with 1 task");

                LOG.info("round {}: SIGKILL of the Connect worker", round);
                connect().kill();
                connect().start();
                awaitRunning(name, 1);
                awaitProgress(reader, consumer, name, "round " + round + ": after the worker's restart");

                LOG.info("round {}: tasks 1 -> 3", round);
                putConnector(name, config(consumer, topic, 3));
                awaitRunning(name, 3);
                awaitProgress(reader, consumer, name, "round " + round + ": with 3 tasks");

                LOG.info("round {}: SIGKILL of the broker, between two commits", round);
                killBrokerBetweenCommits();
                awaitRunning(name, 3);
                awaitProgress(
                        reader, consumer, name, "round " + round + ": after the broker's restart", BROKER_RECOVERY);
            }
        } finally {
            writing.set(false);
            for (Thread writer : writers) {
                writer.join();
            }
        }
        await("every committed event sequenced")
                .atMost(TIMEOUT)
                .until(() -> reader.log().queue(1).waiting() == 0);
        long head = reader.log().head();
        LOG.info("{} events appended, log head {}", appended.get(), head);
        await("every entry delivered (the consumer rows at the head)")
                .atMost(TIMEOUT)
                .until(() -> lowestCheckpoint(reader, consumer) >= head);

        Map<Long, String> log = logKeys();
        assertThat(log).hasSize((int) head);
        List<CommittedRecord> seen = readCommitted(topic, log.size(), TIMEOUT);
        List<Published> published = new ArrayList<>();
        for (CommittedRecord record : seen) {
            published.add(new Published(record.partition(), record.key(), record.seq()));
            assertThat(record.partition())
                    .as("partition of key %s", record.key())
                    .isEqualTo(KeyPartitioner.partitionOf(record.key(), PARTITIONS));
        }
        List<Violation> violations = new PublisherHistory(log, published).checkExactlyOnce();
        assertThat(violations)
                .as("%d entries, %d records read", log.size(), seen.size())
                .isEmpty();
        assertThat(seen).hasSize(log.size());
    }

    private Map<String, String> config(String consumer, String topic, int tasks) {
        return connectorConfig(
                consumer,
                Map.of(
                        "tasks.max",
                        Integer.toString(tasks),
                        "outbox.partitions",
                        Integer.toString(PARTITIONS),
                        "outbox.batch.size",
                        "200",
                        "outbox.poll.interval.ms",
                        "50",
                        "outbox.topic",
                        topic));
    }

    private void write(AtomicBoolean writing, AtomicLong appended) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (writing.get()) {
            int count = 1 + random.nextInt(4);
            OutboxEvent[] events = new OutboxEvent[count];
            for (int i = 0; i < count; i++) {
                events[i] = OutboxEvent.of("order", "order-" + random.nextInt(KEYS), "Changed", "{\"i\":" + i + "}");
            }
            try {
                appendCommitted(events);
                appended.addAndGet(count);
                TimeUnit.MILLISECONDS.sleep(10); // a steady workload, not a flood
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warn("a business transaction failed (not counted)", e);
            }
        }
    }

    /** Waits until the connector's copied position moves 300 entries past where it is now. */
    private void awaitProgress(OutboxRelay reader, String consumer, String name, String what) {
        awaitProgress(reader, consumer, name, what, TIMEOUT);
    }

    private void awaitProgress(OutboxRelay reader, String consumer, String name, String what, Duration timeout) {
        long from = lowestCheckpoint(reader, consumer);
        long begin = System.nanoTime();
        try {
            await(what).atMost(timeout).until(() -> lowestCheckpoint(reader, consumer) >= from + 300);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + diagnosis(name), e);
        }
        LOG.info("{}: 300 entries on in {} ms", what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    private static long lowestCheckpoint(OutboxRelay reader, String consumer) {
        List<PartitionStatus> partitions = reader.status(consumer).partitions();
        return partitions.isEmpty()
                ? 0
                : partitions.stream()
                        .mapToLong(PartitionStatus::checkpoint)
                        .min()
                        .orElse(0);
    }
}
