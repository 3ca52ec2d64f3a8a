package dev.outbox.examples;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.EventHandler;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.mysql.MariaDbDialect;
import dev.outbox.mysql.MySqlDialect;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.history.CheckReport;
import dev.outbox.testkit.history.DatabaseState;
import dev.outbox.testkit.history.DeliveryRecorder;
import dev.outbox.testkit.history.Fault;
import dev.outbox.testkit.history.History;
import dev.outbox.testkit.history.HistoryChecker;
import dev.outbox.testkit.history.HistoryClock;
import dev.outbox.testkit.history.OutboxState;
import dev.outbox.testkit.history.TransactionRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How to check a consumer of your own with the testkit's history checker (testkit/README.md
 * quotes it): writers record each transaction they try, a {@link DeliveryRecorder} around the
 * consumer's handler records what it was handed, and at the end the checker judges the recordings
 * against what the database holds: nothing lost, nothing invented, the log gap-free, commit order
 * kept, each key's events in order, no redelivery without a fault to explain it.
 */
class HistoryCheckExampleTest {

    private static final int KEYS = 8;
    private static final int WRITERS = 4;
    private static final int TRANSACTIONS_PER_WRITER = 150;

    static Stream<ExampleServer> servers() {
        return Stream.of(ExampleServer.postgres(), ExampleServer.mariaDb());
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("servers")
    void shouldFindNothingWrongInAHistoryOfAConsumerOfOurOwn(ExampleServer server) throws Exception {
        try (ExampleDatabase database = ExampleDatabase.open(server.require().settings("history_example_test"), 8)) {
            DataSource dataSource = database.dataSource();
            OutboxTables tables = OutboxTables.of("history_example_test", "outbox_");
            OutboxMigrations.migrate(dataSource, tables);
            OutboxDialect dialect = switch (database.product()) {
                case POSTGRESQL -> PostgresDialect.create();
                case MARIADB -> MariaDbDialect.create();
                case MYSQL -> MySqlDialect.create();
            };
            createAccounts(dataSource);
            OutboxWriter writer = OutboxWriter.builder(dialect).tables(tables).build();

            // [readme:history-consumer]
            History history = new History();
            Map<String, Long> balances = new ConcurrentHashMap<>(); // the consumer under test
            EventHandler handler = batch -> {
                for (OutboxRecord record : batch) {
                    balances.merge(record.aggregateId(), 1L, Long::sum);
                }
            };
            EventHandler recorded = new DeliveryRecorder("balances", "relay-1", history::delivered, handler);
            // [readme:end]
            OutboxRelay first = startRelay(dataSource, dialect, tables, history, "relay-1", recorded);

            ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writerId = w;
                running.add(writers.submit(() -> {
                    for (int n = 0; n < TRANSACTIONS_PER_WRITER; n++) {
                        history.record(transaction(dataSource, writer, "w" + writerId + "-" + n));
                    }
                    return null;
                }));
            }
            // a fault while the writers write: the relay is stopped and another one takes over
            Thread.sleep(500);
            // [readme:history-fault]
            long faultStarted = HistoryClock.nowMicros();
            first.close();
            history.relayEnded("relay-1");
            EventHandler recordedBySecond = new DeliveryRecorder("balances", "relay-2", history::delivered, handler);
            OutboxRelay second = startRelay(dataSource, dialect, tables, history, "relay-2", recordedBySecond);
            await().atMost(Duration.ofSeconds(30)).until(() -> second.ownsConsumer("balances"));
            history.fault(new Fault(
                    Fault.Kind.RELAY_STOPPED_AND_STARTED,
                    faultStarted,
                    HistoryClock.nowMicros(),
                    "relay-1 to relay-2"));
            // [readme:end]
            for (Future<?> writing : running) {
                writing.get();
            }
            writers.shutdown();

            // [readme:history-check]
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                OutboxState now = OutboxState.read(dataSource, dialect, tables);
                return now.queued().isEmpty() && second.status("balances").checkpoint() == now.nextSeq() - 1;
            });
            DatabaseState state = DatabaseState.of(
                    OutboxState.read(dataSource, dialect, tables),
                    committedTransactions(dataSource),
                    versions(dataSource));
            CheckReport report = new HistoryChecker().check(history, state);
            report.assertNoViolations();
            // [readme:end]
            second.close();
            history.relayEnded("relay-2");

            assertThat(report.committedTransactions()).isGreaterThan(WRITERS * TRANSACTIONS_PER_WRITER / 2);
            assertThat(report.rolledBackTransactions()).isPositive();
            assertThat(report.atLeastOnceDeliveries()).isGreaterThanOrEqualTo(report.committedEvents());
            assertThat(balances.values().stream().mapToLong(Long::longValue).sum())
                    .isEqualTo(report.atLeastOnceDeliveries());
        }
    }

    /**
     * One transaction of a writer: it gives a random key's row its next version and appends an event
     * of it; one in ten rolls back. What the writer saw is its record.
     */
    // [readme:history-transaction]
    private static TransactionRecord transaction(DataSource dataSource, OutboxWriter writer, String txId)
            throws SQLException {
        String key = "account-" + ThreadLocalRandom.current().nextInt(KEYS);
        OutboxEvent event = OutboxEvent.of("account", key, "Deposited", "{\"tx\":\"" + txId + "\"}");
        boolean rollBack = ThreadLocalRandom.current().nextInt(10) == 0;
        TransactionRecord.Outcome outcome = TransactionRecord.Outcome.ROLLED_BACK;
        long version = -1;
        long appendBegan = -1;
        long commitReturned = Long.MAX_VALUE;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            version = nextVersion(connection, key, txId); // the business change, and its row
            appendBegan = HistoryClock.nowMicros();
            writer.append(connection, event);
            if (rollBack) {
                connection.rollback();
            } else {
                outcome = TransactionRecord.Outcome.UNKNOWN; // sent: if it fails in flight, the database knows
                connection.commit();
                commitReturned = HistoryClock.nowMicros();
                outcome = TransactionRecord.Outcome.COMMITTED;
            }
        } catch (SQLException e) {
            if (outcome != TransactionRecord.Outcome.UNKNOWN) {
                throw e; // failed before its commit was sent: this example expects none
            }
        }
        return new TransactionRecord(
                txId, key, version, List.of(event.eventId()), outcome, appendBegan, commitReturned, 0);
    }
    // [readme:end]

    private static OutboxRelay startRelay(
            DataSource dataSource,
            OutboxDialect dialect,
            OutboxTables tables,
            History history,
            String relayId,
            EventHandler handler) {
        history.relayStarted(relayId);
        return OutboxRelay.builder(dataSource, dialect)
                .tables(tables)
                .options(RelayOptions.builder()
                        .relayId(relayId)
                        .pollCeiling(Duration.ofMillis(100))
                        .leaseDuration(Duration.ofSeconds(2))
                        .build())
                .atLeastOnce("balances", handler)
                .build()
                .start();
    }

    private static void createAccounts(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE account (k VARCHAR(40) PRIMARY KEY, version BIGINT NOT NULL)");
            statement.execute("CREATE TABLE account_change (tx_id VARCHAR(40) PRIMARY KEY, k VARCHAR(40) NOT NULL,"
                    + " version BIGINT NOT NULL)");
            for (int k = 0; k < KEYS; k++) {
                statement.execute("INSERT INTO account (k, version) VALUES ('account-" + k + "', 0)");
            }
        }
    }

    /** Locks the key's row, gives it its next version, and records the change under the transaction's id. */
    private static long nextVersion(Connection connection, String key, String txId) throws SQLException {
        long version;
        try (PreparedStatement lock =
                connection.prepareStatement("SELECT version FROM account WHERE k = ? FOR UPDATE")) {
            lock.setString(1, key);
            try (ResultSet rs = lock.executeQuery()) {
                rs.next();
                version = rs.getLong(1) + 1;
            }
        }
        try (PreparedStatement update = connection.prepareStatement("UPDATE account SET version = ? WHERE k = ?")) {
            update.setLong(1, version);
            update.setString(2, key);
            update.executeUpdate();
        }
        try (PreparedStatement insert =
                connection.prepareStatement("INSERT INTO account_change (tx_id, k, version) VALUES (?, ?, ?)")) {
            insert.setString(1, txId);
            insert.setString(2, key);
            insert.setLong(3, version);
            insert.executeUpdate();
        }
        return version;
    }

    /** The database's record of what committed: the transactions whose change row exists. */
    private static Set<String> committedTransactions(DataSource dataSource) throws SQLException {
        Set<String> committed = new HashSet<>();
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT tx_id FROM account_change")) {
            while (rs.next()) {
                committed.add(rs.getString(1));
            }
        }
        return committed;
    }

    private static Map<String, Long> versions(DataSource dataSource) throws SQLException {
        Map<String, Long> versions = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT k, version FROM account")) {
            while (rs.next()) {
                versions.put(rs.getString(1), rs.getLong(2));
            }
        }
        return versions;
    }
}
