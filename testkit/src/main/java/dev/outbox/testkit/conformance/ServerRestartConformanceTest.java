package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayHealth;
import dev.outbox.TransactionalEventHandler;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.database.RestartableDatabase;
import dev.outbox.testkit.database.TestDatabase;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database server crashes and restarts while events flow: the relay retries without counting
 * it against any handler, resumes by itself, and nothing is lost or applied twice. Runs on a
 * private server the test owns ({@link RestartableDatabase}), never on a shared one.
 */
public abstract class ServerRestartConformanceTest extends ConformanceTestBase {

    private static final Logger LOG = LoggerFactory.getLogger(ServerRestartConformanceTest.class);

    private RestartableDatabase server;

    /** The private server this class restarts, from {@link OutboxFixture#launchRestartableServer()}. */
    @Override
    protected final TestDatabase database() {
        if (server == null) {
            server = fixture().launchRestartableServer();
        }
        return server;
    }

    @AfterAll
    void stopServer() {
        if (schema != null) {
            schema.close();
            schema = null;
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void shouldReportTheRelayDownWhileTheServerIsStoppedAndUpOnceItIsBack() {
        OutboxRelay relay = startRelay("r1", builder -> builder.atLeastOnce("search", batch -> {}));
        await().atMost(TIMEOUT).until(() -> relay.health().isUp());

        RestartableDatabase restartable = (RestartableDatabase) database();
        restartable.stop(RestartableDatabase.StopMode.CRASH);
        try {
            RelayHealth down = relay.health();
            assertThat(down.status()).as("%s", down).isEqualTo(RelayHealth.Status.DOWN);
            assertThat(down.reasons()).singleElement().asString().startsWith("the database cannot be read");
        } finally {
            restartable.start();
        }
        await().atMost(TIMEOUT).until(() -> relay.health().isUp());
    }

    @Test
    void shouldResumeWithNothingLostOrAppliedTwiceWhenTheServerRestartsWhileEventsFlow() throws Exception {
        String ledger = table("ledger");
        String applied = table("applied_event");
        execute("CREATE TABLE " + ledger + " (" + column("event_id") + " VARCHAR(36) PRIMARY KEY)");
        execute("CREATE TABLE " + applied + " (" + column("seq") + " BIGINT NOT NULL, " + column("event_id")
                + " VARCHAR(36) NOT NULL)");
        RecordingHandler search = new RecordingHandler();
        AtomicInteger handlerFailures = new AtomicInteger();
        TransactionalEventHandler readModel = (batch, connection) -> {
            try {
                for (OutboxRecord record : batch) {
                    try (PreparedStatement insert =
                            connection.prepareStatement("INSERT INTO " + applied + " VALUES (?, ?)")) {
                        insert.setLong(1, record.seq());
                        insert.setString(2, record.eventId().toString());
                        insert.executeUpdate();
                    }
                }
            } catch (SQLException e) {
                handlerFailures.incrementAndGet();
                throw e;
            }
        };
        startRelay(
                "r1",
                builder -> builder.consumer(OutboxConsumer.transactional("read-model", readModel)
                                .batchSize(20)
                                .build())
                        .consumer(OutboxConsumer.atLeastOnce("search", search)
                                .batchSize(20)
                                .build()));

        // The source of truth: a business row written in the same transaction as each event.
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger attempts = new AtomicInteger();
        Thread writer = new Thread(
                () -> {
                    while (writing.get()) {
                        attempts.incrementAndGet();
                        try {
                            this.writer.inTransaction(dataSource, tx -> {
                                for (int i = 0; i < 5; i++) {
                                    OutboxEvent event = OutboxEvent.of("key-" + i, "E", "{}");
                                    try (PreparedStatement insert =
                                            tx.connection().prepareStatement("INSERT INTO " + ledger + " VALUES (?)")) {
                                        insert.setString(1, event.eventId().toString());
                                        insert.executeUpdate();
                                    }
                                    tx.append(event);
                                }
                                return null;
                            });
                            Thread.sleep(5);
                        } catch (InterruptedException e) {
                            return;
                        } catch (RuntimeException e) {
                            // the server is down or restarting: the outcome of this transaction is in the ledger
                        }
                    }
                },
                "test-writer");
        writer.start();

        RestartableDatabase restartable = (RestartableDatabase) database();
        long backUp = 0;
        for (int restart = 0; restart < 2; restart++) {
            await().atMost(TIMEOUT).until(() -> search.count() > 0 && attempts.get() > 50);
            Thread.sleep(700); // events flowing
            restartable.restart();
            backUp = System.nanoTime();
            LOG.info("server restarted ({} starts)", restartable.starts());
        }
        Thread.sleep(700);
        writing.set(false);
        writer.join(Duration.ofSeconds(60).toMillis());

        Set<UUID> committed = queryStrings("SELECT " + column("event_id") + " FROM " + ledger);
        await().atMost(TIMEOUT.multipliedBy(2))
                .until(() -> search.eventIds().containsAll(committed)
                        && queryLong("SELECT COUNT(*) FROM " + applied) >= committed.size());
        LOG.info(
                "{} committed events delivered {} ms after the server came back",
                committed.size(),
                Duration.ofNanos(System.nanoTime() - backUp).toMillis());

        assertThat(committed).hasSizeGreaterThan(100);
        assertThat(search.eventIds()).isEqualTo(committed); // no loss, no phantom
        assertThat(queryLong("SELECT COUNT(*) FROM " + applied)).isEqualTo(committed.size()); // exactly once
        assertThat(queryStrings("SELECT " + column("event_id") + " FROM " + applied))
                .isEqualTo(committed);
        assertGapFreeFromOne(log().stream().map(LogEntry::seq).toList());
        assertThat(relayStatusErrors()).isEmpty();
    }

    /** Consumers that recorded a handler error: a server restart must not count as one. */
    private List<String> relayStatusErrors() throws SQLException {
        String sql = "SELECT " + column("name") + " FROM " + table(tables.consumerTable()) + " WHERE "
                + column("last_error") + " IS NOT NULL";
        try (var connection = dataSource.getConnection();
                var statement = connection.prepareStatement(sql);
                var rs = statement.executeQuery()) {
            List<String> names = new ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString(1));
            }
            return names;
        }
    }

    private Set<UUID> queryStrings(String sql) throws SQLException {
        try (var connection = dataSource.getConnection();
                var statement = connection.prepareStatement(sql);
                var rs = statement.executeQuery()) {
            Set<UUID> values = new HashSet<>();
            while (rs.next()) {
                values.add(UUID.fromString(rs.getString(1)));
            }
            return values.stream().collect(Collectors.toSet());
        }
    }
}
