package dev.outbox.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidEventException;
import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxSchemaException;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.testkit.RecordingHandler;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/**
 * The three ways to append, appends by plain SQL and by an INSERT-only role, and refusal of bad
 * input with nothing written.
 */
public abstract class WriterConformanceTest extends ConformanceTestBase {

    @Test
    void shouldDeliverEventsAppendedOnAPlainJdbcConnection() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        OutboxEvent event = OutboxEvent.of("course", "c-1", "CourseCreated", "{\"title\":\"Databases\"}")
                .withHeader("content-type", "application/json")
                .withHeader("traceparent", "00-abc-\"quoted\"-01");

        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            writer.append(connection, event);
            connection.commit();
        }

        OutboxRecord record = handler.awaitCount(1, TIMEOUT).records().get(0);
        assertThat(record.eventId()).isEqualTo(event.eventId());
        assertThat(record.aggregateType()).isEqualTo("course");
        assertThat(record.aggregateId()).isEqualTo("c-1");
        assertThat(record.eventType()).isEqualTo("CourseCreated");
        assertThat(record.payload()).isEqualTo("{\"title\":\"Databases\"}");
        assertThat(record.headers())
                .isEqualTo(Map.of("content-type", "application/json", "traceparent", "00-abc-\"quoted\"-01"));
        assertThat(record.seq()).isEqualTo(1);
        assertThat(record.sequencedAt()).isAfterOrEqualTo(record.createdAt());
    }

    @Test
    void shouldDeliverEventsAppendedThroughJooqInsideItsTransaction() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        DSLContext dsl = DSL.using(dataSource, dialect().sqlDialect());
        OutboxEvent kept = OutboxEvent.of("k", "Kept", "{}");
        OutboxEvent dropped = OutboxEvent.of("k", "Dropped", "{}");

        dsl.transaction(configuration -> writer.append(DSL.using(configuration), kept));
        assertThatThrownBy(() -> dsl.transaction(configuration -> {
                    writer.append(DSL.using(configuration), dropped);
                    throw new IllegalStateException("business rule violated");
                }))
                .hasMessageContaining("business rule violated");

        handler.awaitCount(1, TIMEOUT);
        appendCommitted(OutboxEvent.of("k", "Marker", "{}"));
        handler.awaitCount(2, TIMEOUT);
        assertThat(handler.records()).extracting(OutboxRecord::eventType).containsExactly("Kept", "Marker");
    }

    @Test
    void shouldRefuseTheOuterJooqContextInsideATransaction() throws Exception {
        DSLContext dsl = DSL.using(dataSource, dialect().sqlDialect());

        assertThatThrownBy(() -> dsl.transaction(configuration -> writer.append(dsl, OutboxEvent.of("k", "E", "{}"))))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("DSL.using(cfg)")
                .hasMessageContaining("auto-commit is on");
        assertThat(queueSize()).isZero();
    }

    @Test
    void shouldInsertBufferedEventsWithTheBusinessChangeOfTheWrapper() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        execute("CREATE TABLE " + table("note") + " (" + column("id") + " INT PRIMARY KEY)");

        String result = writer.inTransaction(dataSource, tx -> {
            try (PreparedStatement insert =
                    tx.connection().prepareStatement("INSERT INTO " + table("note") + " VALUES (1)")) {
                insert.executeUpdate();
            }
            tx.append(OutboxEvent.of("note-1", "NoteAdded", "{}"), OutboxEvent.of("note-1", "NoteShown", "{}"));
            return "done";
        });
        assertThatThrownBy(() -> writer.inTransaction(dataSource, tx -> {
                    try (PreparedStatement insert =
                            tx.connection().prepareStatement("INSERT INTO " + table("note") + " VALUES (2)")) {
                        insert.executeUpdate();
                    }
                    tx.append(OutboxEvent.of("note-2", "NoteAdded", "{}"));
                    throw new IOException("disk full");
                }))
                .hasRootCauseMessage("disk full");

        assertThat(result).isEqualTo("done");
        handler.awaitCount(2, TIMEOUT);
        assertThat(queryLongs("SELECT " + column("id") + " FROM " + table("note")))
                .containsExactly(1L);
        appendCommitted(OutboxEvent.of("marker", "Marker", "{}"));
        handler.awaitCount(3, TIMEOUT);
        assertThat(handler.records())
                .extracting(OutboxRecord::eventType)
                .containsExactly("NoteAdded", "NoteShown", "Marker");
    }

    @Test
    void shouldDeliverAnEventInsertedWithPlainSqlGivingOnlyKeyTypeAndPayload() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));

        execute("INSERT INTO " + table(tables.eventTable()) + " (" + column("aggregate_id") + ", "
                + column("event_type") + ", " + column("payload") + ") VALUES ('k-sql', 'InsertedBySql', '{\"a\":1}')");

        OutboxRecord record = handler.awaitCount(1, TIMEOUT).records().get(0);
        assertThat(record.aggregateId()).isEqualTo("k-sql");
        assertThat(record.eventType()).isEqualTo("InsertedBySql");
        assertThat(record.payload()).isEqualTo("{\"a\":1}");
        assertThat(record.eventId()).isNotNull();
        assertThat(record.aggregateType()).isNull();
        assertThat(record.headers()).isEmpty();
        assertThat(record.createdAt()).isNotNull();
    }

    @Test
    void shouldStoreEachKeysHashForPartitionsAndLeaveItUnsetForPlainSql() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        // keys of one, two, three, four and more UTF-8 bytes, and murmur2's tails of 0 to 3 bytes
        List<String> keys = List.of("a", "ab", "abc", "abcd", "order-4711", "caf\u00e9", "\uD83D\uDE00-k");
        appendCommitted(keys.stream().map(key -> OutboxEvent.of(key, "E", "{}")).toArray(OutboxEvent[]::new));
        execute("INSERT INTO " + table(tables.eventTable()) + " (" + column("aggregate_id") + ", "
                + column("event_type") + ", " + column("payload") + ") VALUES ('k-sql', 'InsertedBySql', '{}')");
        handler.awaitCount(keys.size() + 1, TIMEOUT);

        Map<String, Object> hashes = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement("SELECT " + column("aggregate_id") + ", "
                        + column("key_hash") + " FROM " + table(tables.logTable()) + " ORDER BY " + column("seq"));
                ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                hashes.put(rs.getString(1), rs.getObject(2) == null ? "NULL" : rs.getInt(2));
            }
        }
        Map<String, Object> expected = new LinkedHashMap<>();
        keys.forEach(key -> expected.put(key, KeyPartitioner.keyHash(key)));
        expected.put("k-sql", "NULL");
        assertThat(hashes).containsExactlyEntriesOf(expected);
    }

    @Test
    void shouldAppendWithARoleThatMayOnlyInsertIntoTheEventTable() {
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));
        DataSource application = database().insertOnlyDataSource(schema, tables);

        OutboxEvent event = OutboxEvent.of("k", "AppendedByApplicationRole", "{}");
        writer.inTransaction(application, tx -> {
            tx.append(event);
            return null;
        });

        assertThat(handler.awaitCount(1, TIMEOUT).eventIds()).containsExactly(event.eventId());
        // the role really is restricted: it cannot read what it wrote
        assertThatThrownBy(() -> {
                    try (Connection connection = application.getConnection();
                            PreparedStatement select =
                                    connection.prepareStatement("SELECT COUNT(*) FROM " + table(tables.eventTable()))) {
                        select.executeQuery();
                    }
                })
                .isInstanceOf(SQLException.class);
    }

    @Test
    void shouldRefuseAnAutoCommitConnectionAndWriteNothing() throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);

            assertThatThrownBy(() -> writer.append(connection, OutboxEvent.of("k", "E", "{}")))
                    .isInstanceOf(OutboxConfigurationException.class)
                    .hasMessageContaining("auto-commit is on")
                    .hasMessageContaining("setAutoCommit(false)");
        }
        assertThat(queueSize()).isZero();
    }

    @Test
    void shouldRefuseMissingOrBlankKeysAndTypesWithAMessageNamingTheField() {
        assertThatThrownBy(() -> OutboxEvent.of(null, "E", "{}"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("aggregateId must not be null");
        assertThatThrownBy(() -> OutboxEvent.of("  ", "E", "{}"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("aggregateId must not be blank");
        assertThatThrownBy(() -> OutboxEvent.of("k", "", "{}"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("eventType must not be blank");
        assertThatThrownBy(() -> OutboxEvent.of("k", "E", null))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("payload");
        assertThatThrownBy(() -> OutboxEvent.of("k".repeat(256), "E", "{}"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("at most 255");
    }

    @Test
    void shouldRefuseAnOversizedPayloadAndWriteNothingOfTheTransaction() throws Exception {
        OutboxWriter small = OutboxWriter.builder(dialect())
                .tables(tables)
                .maxPayloadBytes(100)
                .build();
        OutboxEvent fits = OutboxEvent.of("k", "Fits", "x".repeat(100));
        // 26 four-byte characters: 52 UTF-16 units but 104 bytes
        OutboxEvent tooBig = OutboxEvent.of("k", "TooBig", "\uD83D\uDE00".repeat(26));

        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            assertThatThrownBy(() -> small.append(connection, List.of(fits, tooBig)))
                    .isInstanceOf(InvalidEventException.class)
                    .hasMessageContaining("over the limit of 100 bytes")
                    .hasMessageContaining("maxPayloadBytes");
            connection.commit();
        }
        assertThatThrownBy(() -> small.inTransaction(dataSource, tx -> {
                    tx.append(fits);
                    tx.append(tooBig);
                    return null;
                }))
                .isInstanceOf(InvalidEventException.class);
        assertThat(queueSize()).isZero();
    }

    @Test
    void shouldExplainWhichMigrationToRunWhenTheTablesAreMissing() throws Exception {
        OutboxTables missing = OutboxTables.of(schema.name(), "not_migrated_");
        OutboxWriter unmigratedWriter =
                OutboxWriter.builder(dialect()).tables(missing).build();

        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            assertThatThrownBy(() -> unmigratedWriter.append(connection, OutboxEvent.of("k", "E", "{}")))
                    .isInstanceOf(OutboxSchemaException.class)
                    .hasMessageContaining("not_migrated_event")
                    .hasMessageContaining("OutboxMigrations.migrate");
            connection.rollback();
        }
        OutboxRelay relay = OutboxRelay.builder(dataSource, dialect())
                .tables(missing)
                .options(fastOptions("r1").build())
                .atLeastOnce("recorder", new RecordingHandler())
                .build();
        assertThatThrownBy(relay::start)
                .isInstanceOf(OutboxSchemaException.class)
                .hasMessageContaining("prefix 'not_migrated_'")
                .hasMessageContaining("OutboxMigrations.migrate(dataSource)");
        relay.close();
    }
}
