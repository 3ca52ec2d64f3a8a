package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxException;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.TransactionalEventHandler;
import dev.outbox.testkit.RecordingHandler;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Infrastructure failures are not handler failures: the relay survives its connections being killed
 * by the server, and a shutdown that times out rolls the in-flight batch back.
 */
public abstract class ResilienceConformanceTest extends ConformanceTestBase {

    private static final Logger LOG = LoggerFactory.getLogger(ResilienceConformanceTest.class);

    /** A transactional handler that records each event in {@code table}, one row per delivery. */
    protected TransactionalEventHandler applyingTo(String table) {
        return (batch, connection) -> {
            for (OutboxRecord record : batch) {
                try (PreparedStatement insert =
                        connection.prepareStatement("INSERT INTO " + table + " VALUES (?, ?)")) {
                    insert.setLong(1, record.seq());
                    insert.setString(2, record.eventId().toString());
                    insert.executeUpdate();
                }
            }
        };
    }

    protected String createAppliedTable() throws SQLException {
        String applied = table("applied_event");
        execute("DROP TABLE IF EXISTS " + applied);
        execute("CREATE TABLE " + applied + " (" + column("seq") + " BIGINT NOT NULL, " + column("event_id")
                + " VARCHAR(36) NOT NULL)");
        return applied;
    }

    /**
     * Appends events in one transaction, again if the pool handed out a connection the server
     * killed (the pool discards each as it fails; it may hold one per pooled connection): the
     * failure then comes before the commit, so nothing was written.
     */
    protected void appendSurvivingKills(OutboxEvent... events) {
        for (int attempt = 1; ; attempt++) {
            try {
                appendCommitted(events);
                return;
            } catch (OutboxException e) {
                if (attempt == 50) {
                    throw e;
                }
            }
        }
    }

    @Test
    void shouldLoseNothingAndApplyEachEventOnceWhenTheServerKillsTheRelaysConnections() throws Exception {
        String applied = createAppliedTable();
        RecordingHandler search = new RecordingHandler();
        startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.transactional("read-model", applyingTo(applied))
                                .batchSize(20)
                                .build())
                        .consumer(OutboxConsumer.atLeastOnce("search", search)
                                .batchSize(20)
                                .build()));

        Set<UUID> committed = new HashSet<>();
        long lastKill = 0;
        for (int round = 0; round < 6; round++) {
            for (int t = 0; t < 20; t++) {
                List<OutboxEvent> events = new ArrayList<>();
                for (int e = 0; e < 10; e++) {
                    events.add(OutboxEvent.of("key-" + (t % 7), "E", "{\"round\":" + round + "}"));
                }
                appendSurvivingKills(events.toArray(OutboxEvent[]::new));
                events.forEach(event -> committed.add(event.eventId()));
            }
            database().killConnections(schema); // mid-stream: the relay is working on the backlog
            lastKill = System.nanoTime();
        }
        int total = committed.size();
        // the kills hit this test's pooled connections too: a query on one fails once, and the
        // pool replaces it
        await().atMost(TIMEOUT.multipliedBy(2))
                .ignoring(SQLException.class)
                .until(() -> queryLong("SELECT COUNT(*) FROM " + applied) >= total
                        && search.eventIds().size() == total);
        Duration resumedWithin = Duration.ofNanos(System.nanoTime() - lastKill);
        LOG.info("all {} events delivered {} ms after the last kill", total, resumedWithin.toMillis());

        assertThat(search.eventIds()).isEqualTo(committed);
        assertThat(queryLong("SELECT COUNT(*) FROM " + applied)).isEqualTo(total);
        assertThat(queryLong("SELECT COUNT(DISTINCT " + column("event_id") + ") FROM " + applied))
                .isEqualTo(total);
        assertGapFreeFromOne(log().stream().map(LogEntry::seq).toList());
        assertThat(resumedWithin).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void shouldWaitForTheInFlightBatchOnAGracefulShutdown() throws Exception {
        String applied = createAppliedTable();
        CountDownLatch inHandler = new CountDownLatch(1);
        TransactionalEventHandler slow = (batch, connection) -> {
            inHandler.countDown();
            Thread.sleep(300);
            applyingTo(applied).handle(batch, connection);
        };
        OutboxRelay relay = startRelay("r1", builder -> builder.transactional("read-model", slow));
        appendCommitted(OutboxEvent.of("k", "A", "{}"), OutboxEvent.of("k", "B", "{}"));
        assertThat(inHandler.await(60, TimeUnit.SECONDS)).isTrue();

        relay.close();

        assertThat(queryLong("SELECT COUNT(*) FROM " + applied)).isEqualTo(2);
        assertThat(queryLong("SELECT " + column("checkpoint_seq") + " FROM " + table(tables.consumerTable())))
                .isEqualTo(2);
    }

    @Test
    void shouldRollBackAndRedeliverTheBatchOfAHandlerThatOutlastsTheShutdownTimeout() throws Exception {
        String applied = createAppliedTable();
        CountDownLatch inHandler = new CountDownLatch(1);
        AtomicBoolean released = new AtomicBoolean();
        TransactionalEventHandler stuck = (batch, connection) -> {
            applyingTo(applied).handle(batch, connection); // writes made, then it hangs
            inHandler.countDown();
            while (!released.get()) {
                Thread.onSpinWait(); // deaf to interrupts
            }
        };
        OutboxRelay relay = track(OutboxRelay.builder(dataSource, dialect())
                        .tables(tables)
                        .options(fastOptions("r1")
                                .shutdownTimeout(Duration.ofMillis(300))
                                .build())
                        .transactional("read-model", stuck)
                        .build())
                .start();
        appendCommitted(OutboxEvent.of("k", "A", "{}"), OutboxEvent.of("k", "B", "{}"));
        assertThat(inHandler.await(60, TimeUnit.SECONDS)).isTrue();

        relay.close(); // times out, then aborts the transaction
        released.set(true);

        await().atMost(TIMEOUT)
                .until(() -> queryLong("SELECT COUNT(*) FROM " + applied) == 0
                        && queryLong("SELECT " + column("checkpoint_seq") + " FROM " + table(tables.consumerTable()))
                                == 0);
        startRelay("r2", builder -> builder.transactional("read-model", applyingTo(applied)));
        await().atMost(TIMEOUT).until(() -> queryLong("SELECT COUNT(*) FROM " + applied) == 2);
        assertThat(queryLongs("SELECT " + column("seq") + " FROM " + applied + " ORDER BY " + column("seq")))
                .containsExactly(1L, 2L);
    }
}
