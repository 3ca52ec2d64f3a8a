package dev.outbox.mysql;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.spi.SqlFailure;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.conformance.ConformanceTestBase;
import dev.outbox.testsupport.database.MySqlTestDatabase;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TimeZone;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What only MySQL and MariaDB can get wrong: plain SQL from their command-line client, 4-byte
 * UTF-8, DATETIME precision and session time zones, InnoDB deadlocks in the relay, table-level
 * grants, the errors the dialect classifies. Runs on the server of {@link #mySqlDatabase()}.
 */
abstract class ServerBehaviourTestBase extends ConformanceTestBase {

    /** The server, with what the command-line client and the admin checks need. */
    protected abstract MySqlTestDatabase mySqlDatabase();

    @Override
    protected MySqlTestDatabase database() {
        return mySqlDatabase();
    }

    // --- plain SQL from the command-line client ------------------------------------------------

    @Test
    void shouldDeliverEventsInsertedWithPlainSqlFromTheCommandLineClient() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        String event = "`" + tables.eventTable() + "`";
        Instant before = serverNow();

        String output = runClient(
                mySqlDatabase().user(),
                mySqlDatabase().password(),
                String.join(
                        "\n",
                        "SET time_zone = '-09:30';", // a client in yet another zone: created_at must not care
                        "INSERT INTO " + event
                                + " (aggregate_id, event_type, payload) VALUES ('cli-1', 'Created', '{\"n\":1}');",
                        "START TRANSACTION;",
                        "INSERT INTO " + event + " (aggregate_id, event_type, payload, headers) VALUES"
                                + " ('cli-2', 'Renamed', 'caf\u00e9 \uD83D\uDE00', '{\"source\":\"cli\"}'),"
                                + " ('cli-2', 'Archived', '', NULL);",
                        "COMMIT;",
                        "START TRANSACTION;",
                        "INSERT INTO " + event
                                + " (aggregate_id, event_type, payload) VALUES ('cli-3', 'RolledBack', '{}');",
                        "ROLLBACK;",
                        "SELECT 'done';"));
        assertThat(output).contains("done");
        appendCommitted(OutboxEvent.of("marker", "Marker", "{}")); // after it, nothing earlier is pending
        List<OutboxRecord> records = handler.awaitCount(4, TIMEOUT).records();
        Instant after = serverNow();

        assertThat(records)
                .extracting(OutboxRecord::eventType)
                .containsExactly("Created", "Renamed", "Archived", "Marker");
        assertThat(records).extracting(OutboxRecord::seq).containsExactly(1L, 2L, 3L, 4L);
        assertThat(records.get(0).payload()).isEqualTo("{\"n\":1}");
        assertThat(records.get(1).payload()).isEqualTo("caf\u00e9 \uD83D\uDE00");
        assertThat(records.get(1).headers()).isEqualTo(Map.of("source", "cli"));
        assertThat(records.get(2).payload()).isEmpty();
        assertThat(records.get(2).headers()).isEmpty();
        assertThat(records.get(0).aggregateType()).isNull();
        assertThat(records.stream().map(OutboxRecord::eventId).distinct()).hasSize(4);
        for (OutboxRecord record : records.subList(0, 3)) {
            assertThat(record.createdAt()).isBetween(before, after);
        }
    }

    @Test
    void shouldRefuseAPlainSqlEventIdThatIsNotAUuid() {
        // The relay could not hand such an id to consumers; the CHECK refuses it at the source.
        assertThatThrownBy(() -> execute("INSERT INTO " + table(tables.eventTable()) + " (" + column("event_id") + ", "
                        + column("aggregate_id") + ", " + column("event_type") + ", " + column("payload")
                        + ") VALUES ('not-a-uuid', 'k', 'E', '{}')"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining(tables.eventTable() + "_id_ck");
    }

    // --- 4-byte UTF-8 ----------------------------------------------------------------------------

    @Test
    void shouldRoundTripFourByteUtf8ByteForByte() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        // emoji, a flag (two regional indicators), a ZWJ sequence, musical symbol, CJK extension B
        String text = "\uD83D\uDE00 \uD83C\uDDF3\uD83C\uDDF5 \uD83D\uDC69\u200D\uD83D\uDCBB \uD834\uDD1E \uD841\uDF0E"
                + " caf\u00e9 \u20AC \u65E5\u672C";
        OutboxEvent event = OutboxEvent.of("emoji-\uD83D\uDE80", "emoji-\uD83D\uDE80", "Said\uD83D\uDCAC", text)
                .withHeader("note-\uD83D\uDCDD", "\uD83D\uDE0A");

        appendCommitted(event);
        OutboxRecord record = handler.awaitCount(1, TIMEOUT).records().get(0);

        assertThat(record.payload().getBytes(StandardCharsets.UTF_8)).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
        assertThat(record.aggregateId()).isEqualTo("emoji-\uD83D\uDE80");
        assertThat(record.aggregateType()).isEqualTo("emoji-\uD83D\uDE80");
        assertThat(record.eventType()).isEqualTo("Said\uD83D\uDCAC");
        assertThat(record.headers()).isEqualTo(Map.of("note-\uD83D\uDCDD", "\uD83D\uDE0A"));
        // and stored as those bytes, not as '?' or as a double-encoded mess
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT HEX(" + column("payload") + "), CHAR_LENGTH(" + column("payload") + ") FROM "
                                + table(tables.logTable()) + " WHERE " + column("seq") + " = 1");
                ResultSet rs = select.executeQuery()) {
            rs.next();
            assertThat(rs.getString(1))
                    .isEqualToIgnoringCase(HexFormat.of().formatHex(text.getBytes(StandardCharsets.UTF_8)));
            assertThat(rs.getLong(2)).isEqualTo(text.codePointCount(0, text.length()));
        }
    }

    @Test
    void shouldDeliverAPayloadOfTheWritersDefaultLimit() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        String payload = "\uD83D\uDE00".repeat(1 << 18); // 4 bytes each: exactly 1 MiB

        appendCommitted(OutboxEvent.of("big", "Big", payload));

        assertThat(handler.awaitCount(1, TIMEOUT).records().get(0).payload()).isEqualTo(payload);
    }

    // --- time ----------------------------------------------------------------------------------

    @Test
    void shouldKeepMicrosecondsAndTheRightInstantInANonUtcSessionAndJvmTimeZone() throws Exception {
        assertThat(queryString("SELECT @@session.time_zone")).isEqualTo(MySqlTestDatabase.SESSION_TIME_ZONE);
        TimeZone jvmZone = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("America/St_Johns")); // -03:30 or -02:30, neither UTC
        try {
            RecordingHandler handler = new RecordingHandler();
            OutboxRelay relay = startRelay("r1", builder -> builder.atLeastOnce("recorder", handler));
            Instant before = serverNow();
            appendEach("k", 20);
            Instant appended = serverNow();
            List<OutboxRecord> records = handler.awaitCount(20, TIMEOUT).records();
            Instant after = serverNow();

            boolean subMillisecond = false;
            for (OutboxRecord record : records) {
                assertThat(record.createdAt()).isBetween(before, appended);
                assertThat(record.sequencedAt()).isBetween(record.createdAt(), after);
                // exactly what the table holds, to the microsecond
                assertThat(record.createdAt().getNano() / 1000)
                        .isEqualTo(Integer.parseInt(queryString("SELECT DATE_FORMAT(" + column("created_at")
                                + ", '%f') FROM " + table(tables.logTable()) + " WHERE " + column("seq") + " = "
                                + record.seq())));
                subMillisecond |= record.createdAt().getNano() % 1_000_000 != 0;
            }
            assertThat(subMillisecond).as("some created_at has microseconds").isTrue();

            // leases are computed and compared on the server's clock, in one zone: a fresh lease ends
            // within its duration from the server's now
            await().atMost(TIMEOUT).until(() -> relay.ownsConsumer("recorder"));
            long leaseLeftMicros = queryLong("SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), "
                    + column("lease_until") + ") FROM " + table(tables.consumerTable()) + " WHERE " + column("name")
                    + " = 'recorder'");
            assertThat(leaseLeftMicros)
                    .isBetween(0L, relay.options().leaseDuration().toNanos() / 1000);
        } finally {
            TimeZone.setDefault(jvmZone);
        }
    }

    @Test
    void shouldStoreTimesAsUtcWallClockWhateverTheSessionZone() throws Exception {
        appendCommitted(OutboxEvent.of("k", "E", "{}"));
        // the session is at +05:45; created_at holds UTC, so it is about 5 h 45 min behind NOW()
        long offsetSeconds = queryLong(
                "SELECT TIMESTAMPDIFF(SECOND, " + column("created_at") + ", NOW()) FROM " + table(tables.eventTable()));
        assertThat(offsetSeconds).isBetween(5 * 3600 + 45 * 60 - 60L, 5 * 3600 + 45 * 60 + 60L);
    }

    // --- deadlocks -----------------------------------------------------------------------------

    @Test
    void shouldRetryASequencerBatchThatInnoDbRolledBackAsADeadlockVictimWithoutLoss() throws Exception {
        ListAppender<ILoggingEvent> logged = captureLogs();
        RecordingHandler handler = new RecordingHandler();
        OutboxRelay relay = startRelay("r1", r -> r.atLeastOnce("recorder", handler));
        appendEach("warm-up", 3);
        handler.awaitCount(3, TIMEOUT);
        String ballast = table("ballast");
        execute("CREATE TABLE " + ballast + " (" + column("id") + " INT PRIMARY KEY) ENGINE = InnoDB");
        String sequencerRow = "SELECT " + column("next_seq") + " FROM " + table(tables.sequencerTable()) + " WHERE "
                + column("name") + " = 'default' FOR UPDATE";

        UUID victim;
        try (Connection gate = dataSource.getConnection();
                Connection blocker = dataSource.getConnection()) {
            gate.setAutoCommit(false);
            blocker.setAutoCommit(false);
            // 1. hold the sequencer row: the next batch waits at its first statement
            query(gate, sequencerRow);
            // 2. queue an event; the relay sees it and waits for the sequencer row
            victim = appendEach("victim", 1).get(0);
            awaitSequencerRowWait(relay);
            // 3. the blocker locks the queued row, and makes itself the heavier transaction, so
            //    that InnoDB picks the relay's batch as the victim
            query(
                    blocker,
                    "SELECT " + column("position") + " FROM " + table(tables.eventTable()) + " WHERE "
                            + column("event_id") + " = '" + victim + "' FOR UPDATE");
            try (Statement insert = blocker.createStatement()) {
                insert.executeUpdate("INSERT INTO " + ballast + " VALUES "
                        + LongStream.rangeClosed(1, 5000)
                                .mapToObj(i -> "(" + i + ")")
                                .collect(Collectors.joining(",")));
            }
            // 4. the batch goes on: it copies the row to the log and waits to delete it
            gate.rollback();
            awaitWaitingFor(blocker);
            // 5. the blocker asks for the sequencer row the batch holds: a cycle, which InnoDB breaks
            //    at once by rolling back the lighter transaction, the batch; the blocker gets the row
            query(blocker, sequencerRow);
            blocker.rollback();
        }
        appendEach("after", 2);
        handler.awaitCount(6, TIMEOUT);

        assertThat(handler.seqs()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(handler.records().get(3).eventId()).isEqualTo(victim);
        assertThat(log()).hasSize(6);
        assertThat(queueSize()).isZero();
        SQLException deadlock = loggedSqlException(logged, 1213)
                .orElseThrow(() -> new AssertionError("the relay logged no deadlock (1213): " + messages(logged)));
        assertThat(dialect().classify(deadlock)).isEqualTo(SqlFailure.TRANSIENT);
    }

    // --- grants --------------------------------------------------------------------------------

    @Test
    void shouldLetARoleWithOnlyInsertOnTheEventTableAppendButNotReadOrChangeAnything() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        DataSource application = database().insertOnlyDataSource(schema, tables);
        String account = queryAs(application, "SELECT CURRENT_USER()");
        assertThat(grantsOf(account))
                .containsExactly("GRANT INSERT ON `" + schema.name() + "`.`" + tables.eventTable() + "` TO "
                        + quotedAccount(account));

        OutboxEvent appended = OutboxEvent.of("k", "ByWriter", "{}").withHeader("h", "v");
        writer.inTransaction(application, tx -> {
            tx.append(appended);
            return null;
        });
        String user = account.substring(0, account.indexOf('@'));
        String password = passwordOf(application);
        runClient(
                user,
                password,
                "INSERT INTO `" + tables.eventTable() + "` (aggregate_id, event_type, payload)"
                        + " VALUES ('k', 'ByClient', '{}');");

        assertThat(handler.awaitCount(2, TIMEOUT).records())
                .extracting(OutboxRecord::eventType)
                .containsExactly("ByWriter", "ByClient");
        for (String forbidden : List.of(
                "SELECT COUNT(*) FROM " + table(tables.eventTable()),
                "UPDATE " + table(tables.eventTable()) + " SET " + column("payload") + " = 'x'",
                "DELETE FROM " + table(tables.eventTable()),
                "SELECT COUNT(*) FROM " + table(tables.logTable()),
                "UPDATE " + table(tables.sequencerTable()) + " SET " + column("next_seq") + " = 1")) {
            assertThatThrownBy(() -> executeAs(application, forbidden))
                    .as(forbidden)
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("denied");
        }
    }

    // --- sessions and error classification -----------------------------------------------------

    @Test
    void shouldRunRelayTransactionsInReadCommittedAndLeaveTheSessionAsItWas() throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            String sessionLevel = query(connection, "SELECT " + isolationVariable());
            connection.setAutoCommit(false);
            dialect().beginRelayTransaction(connection);
            query(connection, "SELECT COUNT(*) FROM " + table(tables.sequencerTable()) + " FOR UPDATE");
            AtomicReference<String> level = new AtomicReference<>("");
            await("this transaction in INNODB_TRX")
                    .atMost(TIMEOUT)
                    .pollInterval(INNODB_TRX_REFRESH)
                    .until(() -> {
                        level.set(query(
                                connection,
                                "SELECT trx_isolation_level FROM information_schema.INNODB_TRX"
                                        + " WHERE trx_mysql_thread_id = CONNECTION_ID()"));
                        return !level.get().isEmpty();
                    });
            assertThat(level.get()).isEqualTo("READ COMMITTED");
            connection.commit();
            connection.setAutoCommit(true);
            assertThat(query(connection, "SELECT " + isolationVariable())).isEqualTo(sessionLevel);
        }
    }

    private String isolationVariable() {
        return mySqlDatabase().isMariaDb() ? "@@session.tx_isolation" : "@@session.transaction_isolation";
    }

    @Test
    void shouldClassifyTheServersRealErrors() throws Exception {
        assertThat(dialect().classify(failure(() -> execute("SELECT 1 FROM " + table("no_such_table")))))
                .isEqualTo(SqlFailure.UNDEFINED_OBJECT);
        assertThat(dialect()
                        .classify(failure(() ->
                                execute("SELECT " + column("no_such_column") + " FROM " + table(tables.logTable())))))
                .isEqualTo(SqlFailure.UNDEFINED_OBJECT);
        assertThat(dialect().classify(failure(() -> execute("SELEC 1")))).isEqualTo(SqlFailure.OTHER);

        String rows = table("contended");
        execute("CREATE TABLE " + rows + " (" + column("id") + " INT PRIMARY KEY) ENGINE = InnoDB");
        execute("INSERT INTO " + rows + " VALUES (1), (2)");
        String lock = "SELECT * FROM " + rows + " WHERE " + column("id") + " = %d FOR UPDATE";
        try (Connection a = dataSource.getConnection();
                Connection b = dataSource.getConnection()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            // lock wait timeout (1205)
            query(a, lock.formatted(1));
            try (Statement impatient = b.createStatement()) {
                impatient.execute("SET SESSION innodb_lock_wait_timeout = 1");
            }
            SQLException timeout = failure(() -> query(b, lock.formatted(1)));
            assertThat(timeout.getErrorCode()).isEqualTo(1205);
            assertThat(dialect().classify(timeout)).isEqualTo(SqlFailure.TRANSIENT);
            b.rollback();
            // deadlock (1213): a waits for b's row, then b for a's; InnoDB rolls back one of them
            query(b, lock.formatted(2));
            AtomicReference<SQLException> waiterFailure = new AtomicReference<>();
            Thread waiter = new Thread(() -> {
                try {
                    query(a, lock.formatted(2));
                } catch (SQLException e) {
                    waiterFailure.set(e);
                }
            });
            waiter.start();
            awaitWaitingFor(b);
            SQLException deadlock = null;
            try {
                query(b, lock.formatted(1));
            } catch (SQLException e) {
                deadlock = e;
            }
            waiter.join(TimeUnit.SECONDS.toMillis(30));
            if (deadlock == null) {
                deadlock = waiterFailure.get();
            }
            if (deadlock == null) {
                throw new AssertionError("neither transaction of the cycle was rolled back");
            }
            assertThat(deadlock.getErrorCode()).isEqualTo(1213);
            assertThat(dialect().classify(deadlock)).isEqualTo(SqlFailure.TRANSIENT);
            a.rollback();
            b.rollback();
        }

        // a session killed from the server side: an infrastructure failure, not the statement's
        try (Connection doomed = dataSource.getConnection()) {
            long id = Long.parseLong(query(doomed, "SELECT CONNECTION_ID()"));
            mySqlDatabase().execute("KILL " + id);
            SQLException lost = failure(() -> query(doomed, "SELECT 1"));
            assertThat(dialect().classify(lost)).as(lost.toString()).isEqualTo(SqlFailure.CONNECTION);
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    /** The server's current time as an instant, computed by the server, independent of any zone. */
    private Instant serverNow() throws SQLException {
        BigDecimal seconds = new BigDecimal(queryString("SELECT UNIX_TIMESTAMP(NOW(6))"));
        return Instant.ofEpochSecond(
                seconds.longValue(),
                seconds.remainder(BigDecimal.ONE).movePointRight(9).longValue());
    }

    private String queryString(String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return query(connection, sql);
        }
    }

    private static String query(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            return rs.next() ? String.valueOf(rs.getString(1)) : "";
        }
    }

    private static String queryAs(DataSource source, String sql) throws SQLException {
        try (Connection connection = source.getConnection()) {
            return query(connection, sql);
        }
    }

    private static void executeAs(DataSource source, String sql) throws SQLException {
        try (Connection connection = source.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private List<String> grantsOf(String account) throws SQLException {
        List<String> grants = new ArrayList<>();
        try (Connection connection = mySqlDatabase().adminConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SHOW GRANTS FOR " + quotedAccount(account))) {
            while (rs.next()) {
                String grant = rs.getString(1);
                if (!grant.startsWith("GRANT USAGE ON *.*")) { // the right to log in
                    grants.add(grant);
                }
            }
        }
        return grants;
    }

    private static String quotedAccount(String account) {
        int at = account.lastIndexOf('@');
        return "`" + account.substring(0, at) + "`@`" + account.substring(at + 1) + "`";
    }

    private static String passwordOf(DataSource source) {
        return ((HikariDataSource) source).getPassword();
    }

    /**
     * How often INNODB_TRX may be polled. It is a snapshot that InnoDB refreshes only when it was
     * not read for 100 ms, so a poll every 10 ms saw the same stale snapshot for ever: a lock wait
     * that began after the first poll was never seen (the cause of a CI failure).
     */
    private static final Duration INNODB_TRX_REFRESH = Duration.ofMillis(150);

    /**
     * Waits until the relay waits for the sequencer row: a session of this test's database runs a
     * statement on it (the batch's lock, or a lease renewal, which the batch follows; neither ends
     * while the row is held). PROCESSLIST, unlike INNODB_TRX, is read live. Fails with what the
     * server and the relay showed.
     */
    private void awaitSequencerRowWait(OutboxRelay relay) throws Exception {
        String locking = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()"
                + " AND COMMAND = 'Query' AND LOWER(INFO) LIKE ?";
        String statement = "%" + tables.sequencerTable().toLowerCase(Locale.ROOT) + "%";
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (queryLong(locking, schema.name(), statement) == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the relay's batch did not wait for the sequencer row within "
                        + TIMEOUT.toMillis() + " ms; " + lockWaitDiagnostics(relay));
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /**
     * What the server and the relay show: the transactions, the sessions of this test's database,
     * the sequencer row, whether the relay sequences, its problems and its sequencer thread's stack.
     */
    private String lockWaitDiagnostics(OutboxRelay relay) throws SQLException {
        StringBuilder seen = new StringBuilder();
        seen.append("relay sequencing: ").append(relay.isSequencing());
        seen.append("; problems: ").append(relay.problems());
        seen.append("; transactions: ")
                .append(rows("SELECT trx_mysql_thread_id, trx_state, trx_query FROM information_schema.INNODB_TRX"));
        seen.append("; sessions: ")
                .append(rows("SELECT ID, COMMAND, TIME, STATE, INFO FROM information_schema.PROCESSLIST WHERE DB = '"
                        + schema.name() + "'"));
        seen.append("; sequencer row: ").append(rows("SELECT * FROM " + table(tables.sequencerTable())));
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().equals("outbox-sequencer")) {
                seen.append("; ").append(thread.getName()).append(' ').append(thread.getState());
                for (StackTraceElement frame : stack) {
                    seen.append("\n    at ").append(frame);
                }
            }
        });
        return seen.toString();
    }

    /** The rows of {@code sql}, each as its columns' labels and values. */
    private String rows(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = mySqlDatabase().adminConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> values = new ArrayList<>();
                for (int c = 1; c <= columns; c++) {
                    values.add(rs.getMetaData().getColumnLabel(c) + "=" + rs.getString(c));
                }
                rows.add(String.join(", ", values));
            }
        }
        return rows.toString();
    }

    /** Waits until some transaction waits for a row lock that the one on {@code holder} holds. */
    private void awaitWaitingFor(Connection holder) throws SQLException {
        long thread = Long.parseLong(query(holder, "SELECT CONNECTION_ID()"));
        // MariaDB: a transaction in LOCK WAIT other than the holder is what the tests need, and only
        // the one they set up can be (INNODB_LOCK_WAITS needs a join with INNODB_TRX).
        String waits = mySqlDatabase().isMariaDb()
                ? "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"
                        + " AND trx_mysql_thread_id <> ?"
                : "SELECT COUNT(*) FROM performance_schema.data_lock_waits w JOIN performance_schema.threads t"
                        + " ON t.THREAD_ID = w.BLOCKING_THREAD_ID WHERE t.PROCESSLIST_ID = ?";
        await("a transaction waiting for a lock held by session " + thread)
                .atMost(TIMEOUT)
                .pollInterval(INNODB_TRX_REFRESH)
                .until(() -> queryLong(waits, thread) > 0);
    }

    private static SQLException failure(SqlAction action) {
        try {
            action.run();
        } catch (SQLException e) {
            return e;
        }
        throw new AssertionError("expected an SQLException");
    }

    @FunctionalInterface
    private interface SqlAction {
        void run() throws SQLException;
    }

    /**
     * Runs the server's command-line client ({@code mariadb}, else {@code mysql}) on the test
     * database with {@code script} on its standard input; returns its output, fails if it fails.
     */
    private String runClient(String user, @Nullable String password, String script)
            throws IOException, InterruptedException {
        String client = new File("/usr/bin/mariadb").canExecute() ? "mariadb" : "mysql";
        List<String> command = List.of(
                client,
                "--host=" + mySqlDatabase().host(),
                "--port=" + mySqlDatabase().port(),
                "--protocol=TCP",
                "--user=" + user,
                "--default-character-set=utf8mb4",
                "--batch",
                schema.name());
        File output = Files.createTempFile("outbox-client-", ".out").toFile();
        try {
            ProcessBuilder builder =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output);
            if (password != null) {
                builder.environment().put("MYSQL_PWD", password);
            }
            Process process = builder.start();
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write(script.getBytes(StandardCharsets.UTF_8));
            }
            assertThat(process.waitFor(60, TimeUnit.SECONDS))
                    .as("client finished")
                    .isTrue();
            String text = Files.readString(output.toPath(), StandardCharsets.UTF_8);
            assertThat(process.exitValue())
                    .as(String.join(" ", command) + " said: " + text)
                    .isZero();
            return text;
        } finally {
            Files.deleteIfExists(output.toPath());
        }
    }

    @AfterEach
    void stopCapturingLogs() {
        ((Logger) LoggerFactory.getLogger("dev.outbox")).setLevel(null);
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.iteratorForAppenders().forEachRemaining(appender -> {
            if (appender instanceof ListAppender) {
                root.detachAppender(appender);
            }
        });
    }

    /** Captures what the relay logs, down to DEBUG: a deadlock retried at once is logged there. */
    private static ListAppender<ILoggingEvent> captureLogs() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ((Logger) LoggerFactory.getLogger("dev.outbox")).setLevel(ch.qos.logback.classic.Level.DEBUG);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        root.addAppender(appender);
        return appender;
    }

    private static Optional<SQLException> loggedSqlException(ListAppender<ILoggingEvent> logged, int errorCode) {
        for (ILoggingEvent event : logged.list) {
            if (event.getThrowableProxy() instanceof ThrowableProxy proxy) {
                for (Throwable t = proxy.getThrowable(); t != null; t = t.getCause()) {
                    if (t instanceof SQLException sql && sql.getErrorCode() == errorCode) {
                        return Optional.of(sql);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static String messages(ListAppender<ILoggingEvent> logged) {
        return logged.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.joining("\n"));
    }
}
