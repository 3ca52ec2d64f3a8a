package dev.outbox.testkit.conformance;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.ConsumerStatus;
import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxSchemaException;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.StartPosition;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.database.TestSchema;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/** The Liquibase migration: idempotent, configurable, refused when the schema version differs. */
public abstract class MigrationConformanceTest extends ConformanceTestBase {

    @Test
    void shouldChangeNothingWhenRunAgain() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        OutboxRelay relay = startRelay("r1", builder -> builder.atLeastOnce("search", handler));
        appendEach("k", 5);
        handler.awaitCount(5, TIMEOUT);
        relay.close();
        appendEach("k", 2); // queued, not yet sequenced

        migrate(dataSource, tables);
        migrate(dataSource, tables);

        assertThat(log()).hasSize(5);
        assertThat(queueSize()).isEqualTo(2);
        assertThat(queryLong("SELECT " + column("next_seq") + " FROM " + table(tables.sequencerTable())))
                .isEqualTo(6);
        startRelay("r2", builder -> builder.atLeastOnce("search", handler));
        handler.awaitCount(7, TIMEOUT);
        assertThat(handler.seqs()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    }

    @Test
    void shouldKeepOutboxesWithDifferentPrefixesApart() throws Exception {
        OutboxTables other = OutboxTables.of(schema.name(), "billing_outbox_");
        migrate(dataSource, other);
        OutboxWriter otherWriter = OutboxWriter.builder(dialect()).tables(other).build();
        RecordingHandler mainHandler = new RecordingHandler();
        RecordingHandler otherHandler = new RecordingHandler();
        startRelay("r1", builder -> builder.atLeastOnce("search", mainHandler));
        track(OutboxRelay.builder(dataSource, dialect())
                        .tables(other)
                        .options(fastOptions("r1-billing").build())
                        .atLeastOnce("search", otherHandler)
                        .build())
                .start();

        appendEach("main", 3);
        otherWriter.inTransaction(dataSource, tx -> {
            tx.append(OutboxEvent.of("invoice-1", "InvoiceIssued", "{}"));
            return null;
        });

        mainHandler.awaitCount(3, TIMEOUT);
        otherHandler.awaitCount(1, TIMEOUT);
        assertThat(otherHandler.records().get(0).eventType()).isEqualTo("InvoiceIssued");
        assertThat(otherHandler.seqs()).containsExactly(1L);
        assertThat(mainHandler.seqs()).containsExactly(1L, 2L, 3L);
    }

    // --- the include path: an application's own changelog includes outbox's ------------------------

    private static final String USER_CHANGELOG = "dev/outbox/testkit/conformance/user-changelog.yaml";

    @Test
    void shouldCreateFromAUsersChangelogThatIncludesOursTheTablesThatMigrateCreates() throws Exception {
        TestSchema viaInclude = database().createSchema("include");
        TestSchema viaMigrate = database().createSchema("migrate");
        try {
            // both connected to this class's schema, told to put the tables elsewhere
            fixture().runChangelog(schema, USER_CHANGELOG, viaInclude.name());
            migrate(dataSource, OutboxTables.of(viaMigrate.name(), "shop_"));

            List<String> included = shape(viaInclude, "shop_");
            assertThat(included)
                    .as("the tables the include created")
                    .isEqualTo(shape(viaMigrate, "shop_"))
                    .anyMatch(line -> line.startsWith("table shop_event "))
                    .anyMatch(line -> line.startsWith("table shop_dead_letter "));
            assertThat(shape(viaInclude, "customer_"))
                    .as("the application's own table")
                    .isNotEmpty();
            assertThat(shape(schema, "shop_"))
                    .as("nothing in the connection's own schema")
                    .isEmpty();

            // the tables work: a relay delivers from them
            OutboxTables shop = OutboxTables.of(viaInclude.name(), "shop_");
            RecordingHandler handler = new RecordingHandler();
            track(OutboxRelay.builder(viaInclude.dataSource(), dialect())
                            .tables(shop)
                            .options(fastOptions("r1").build())
                            .atLeastOnce("search", handler)
                            .build())
                    .start();
            OutboxWriter.builder(dialect()).tables(shop).build().inTransaction(viaInclude.dataSource(), tx -> {
                tx.append(OutboxEvent.of("order-1", "OrderPlaced", "{}"));
                return null;
            });
            assertThat(handler.awaitCount(1, TIMEOUT).records().get(0).eventType())
                    .isEqualTo("OrderPlaced");
        } finally {
            viaInclude.close();
            viaMigrate.close();
        }
    }

    @Test
    void shouldChangeNothingWhenAUsersChangelogThatIncludesOursRunsAgain() throws Exception {
        TestSchema target = database().createSchema("include");
        try {
            fixture().runChangelog(target, USER_CHANGELOG, target.name());
            List<String> shape = shape(target, "");
            String changesRun = "SELECT COUNT(*) FROM " + qualified(target, changelogTable(target));
            long changesets = queryLongOn(target, changesRun);

            fixture().runChangelog(target, USER_CHANGELOG, target.name());
            migrate(target.dataSource(), OutboxTables.of(target.name(), "shop_")); // the same changesets

            assertThat(queryLongOn(target, changesRun)).isEqualTo(changesets);
            assertThat(shape(target, "")).isEqualTo(shape);
        } finally {
            target.close();
        }
    }

    @Test
    void shouldRefuseToStartOnASchemaOfAnotherVersion() throws Exception {
        long version = queryLong("SELECT " + column("schema_version") + " FROM " + table(tables.sequencerTable()));
        execute("UPDATE " + table(tables.sequencerTable()) + " SET " + column("schema_version") + " = 0");
        try {
            OutboxRelay relay = track(OutboxRelay.builder(dataSource, dialect())
                    .tables(tables)
                    .options(fastOptions("r1").build())
                    .build());
            assertThatThrownBy(relay::start)
                    .isInstanceOf(OutboxSchemaException.class)
                    .hasMessageContaining("schema version 0")
                    .hasMessageContaining("migrate(dataSource)");
        } finally {
            execute("UPDATE " + table(tables.sequencerTable()) + " SET " + column("schema_version") + " = ?", version);
        }
    }

    @Test
    void shouldRefuseAPrefixThatIsNotAnIdentifier() {
        assertThatThrownBy(() -> OutboxTables.of(schema.name(), "bad\"; drop table x; --"))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("prefix must be a lower-case identifier");
    }

    @Test
    void shouldUpgradeAnInstallationOfSchemaVersionOneWithItsDataInPlace() throws Exception {
        TestSchema old = database().createSchema("v1");
        try {
            OutboxTables v1 = old.tables();
            fixture().runChangelog(old, "dev/outbox/testkit/conformance/changelog-v1.yaml", old.name());
            // what a version-1 installation holds: a delivered entry, parked; two queued events;
            // the consumer's row with an error
            String event = qualified(old, v1.eventTable());
            String log = qualified(old, v1.logTable());
            String columns = String.join(
                    ", ",
                    column("event_id"),
                    column("aggregate_type"),
                    column("aggregate_id"),
                    column("event_type"),
                    column("payload"),
                    column("headers"),
                    column("created_at"));
            for (String key : List.of("a", "b", "c")) {
                executeOn(
                        old,
                        "INSERT INTO " + event + " (" + column("aggregate_id") + ", " + column("event_type") + ", "
                                + column("payload") + ") VALUES (?, 'E', '{}')",
                        key);
            }
            executeOn(
                    old,
                    "INSERT INTO " + log + " (" + column("seq") + ", " + column("position") + ", " + columns
                            + ", " + column("sequenced_at") + ") SELECT 1, " + column("position") + ", " + columns
                            + ", "
                            + column("created_at") + " FROM " + event + " WHERE " + column("aggregate_id") + " = 'a'");
            executeOn(old, "DELETE FROM " + event + " WHERE " + column("aggregate_id") + " = 'a'");
            executeOn(old, "UPDATE " + qualified(old, v1.sequencerTable()) + " SET " + column("next_seq") + " = 2");
            executeOn(
                    old,
                    "INSERT INTO " + qualified(old, v1.consumerTable()) + " (" + column("name") + ", "
                            + column("checkpoint_seq") + ", " + column("epoch") + ", " + column("last_error")
                            + ") VALUES"
                            + " ('search', 1, 3, 'java.lang.IllegalStateException: index down')");
            executeOn(
                    old,
                    "INSERT INTO " + qualified(old, v1.deadLetterTable()) + " (" + column("consumer") + ", "
                            + column("seq") + ", " + columns + ", " + column("sequenced_at") + ", " + column("status")
                            + ", "
                            + column("error_class") + ", " + column("error_message") + ", " + column("attempts") + ", "
                            + column("first_failed_at") + ", " + column("last_failed_at") + ") SELECT 'search', "
                            + column("seq") + ", " + columns + ", " + column("sequenced_at")
                            + ", 'PARKED', 'E', 'boom', 3, "
                            + column("sequenced_at") + ", " + column("sequenced_at") + " FROM " + log);

            migrate(old.dataSource(), v1);

            RecordingHandler handler = new RecordingHandler();
            OutboxRelay relay = track(OutboxRelay.builder(old.dataSource(), dialect())
                            .tables(v1)
                            .options(fastOptions("r1").build())
                            .atLeastOnce("search", handler)
                            .build())
                    .start();
            handler.awaitCount(2, TIMEOUT);
            assertThat(handler.seqs()).containsExactly(2L, 3L);
            assertThat(relay.deadLetters().list("search"))
                    .extracting(d -> d.record().seq())
                    .containsExactly(1L);
            assertThat(relay.deadLetters().redriveAll("search")).isEqualTo(1);
            handler.awaitCount(3, TIMEOUT);
            await().atMost(TIMEOUT).until(() -> relay.status("search").lastError() == null);
            ConsumerStatus status = relay.status("search");
            assertThat(status.checkpoint()).isEqualTo(3);
            assertThat(status.parkedCount()).isZero();
            assertThat(status.waitingSince()).isNull();
            assertThat(handler.records()).extracting(OutboxRecord::aggregateId).containsExactly("b", "c", "a");
            // version 3: an event appended now carries its key's hash; those from before have none
            OutboxWriter.builder(dialect()).tables(v1).build().inTransaction(old.dataSource(), tx -> {
                tx.append(OutboxEvent.of("d", "E", "{}"));
                return null;
            });
            handler.awaitCount(4, TIMEOUT);
            List<String> hashes = new ArrayList<>();
            try (Connection connection = old.dataSource().getConnection();
                    PreparedStatement select = connection.prepareStatement("SELECT " + column("aggregate_id") + ", "
                            + column("key_hash") + " FROM " + log + " ORDER BY " + column("seq"));
                    ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    hashes.add(rs.getString(1) + "=" + rs.getObject(2));
                }
            }
            assertThat(hashes).containsExactly("a=null", "b=null", "c=null", "d=" + KeyPartitioner.keyHash("d"));
            relay.close();
            // version 4: the consumer's row became partition 0 of 1; another number is refused, and a
            // split consumer reads the entries from before version 3 too, each in its key's partition
            assertThatThrownBy(() -> OutboxRelay.builder(old.dataSource(), dialect())
                            .tables(v1)
                            .options(fastOptions("r2").build())
                            .consumer(OutboxConsumer.atLeastOnce("search", handler)
                                    .partitions(4)
                                    .build())
                            .build()
                            .start())
                    .isInstanceOf(OutboxConfigurationException.class)
                    .hasMessageContaining("declared with 4 partition(s), but the database holds it with 1");
            Map<String, Integer> partitionOfKey = new ConcurrentHashMap<>();
            OutboxRelay split = track(OutboxRelay.builder(old.dataSource(), dialect())
                            .tables(v1)
                            .options(fastOptions("r2").build())
                            .consumer(OutboxConsumer.atLeastOnce("search-by-key", batch -> {
                                        String thread = Thread.currentThread().getName();
                                        int partition = Integer.parseInt(thread.substring(thread.lastIndexOf('-') + 1));
                                        batch.forEach(r -> partitionOfKey.put(r.aggregateId(), partition));
                                    })
                                    .partitions(4)
                                    .startFrom(StartPosition.BEGINNING)
                                    .build())
                            .build())
                    .start();
            await().atMost(TIMEOUT).until(() -> partitionOfKey.size() == 4);
            for (String key : List.of("a", "b", "c", "d")) {
                assertThat(partitionOfKey.get(key)).as(key).isEqualTo(KeyPartitioner.partitionOf(key, 4));
            }
            split.close();
            // version 5: the rows from before count their resets from 0
            try (Connection connection = old.dataSource().getConnection();
                    PreparedStatement select = connection.prepareStatement("SELECT " + column("reset_generation")
                            + " FROM " + qualified(old, v1.consumerTable()) + " WHERE " + column("name")
                            + " = 'search'");
                    ResultSet rs = select.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isZero();
            }
            migrate(old.dataSource(), v1); // and again: nothing left to do
        } finally {
            old.close();
        }
    }

    private String qualified(TestSchema target, String tableName) {
        return DSL.using(dialect().sqlDialect()).render(DSL.name(target.name(), tableName));
    }

    private static void executeOn(TestSchema target, String sql, Object... parameters) throws SQLException {
        try (Connection connection = target.dataSource().getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            statement.execute();
        }
    }

    /**
     * The tables of {@code target} whose names start with {@code prefix}, as lines of text: each
     * table, its columns (type, size, nullability, default, auto-increment), primary key and
     * indexes, in a stable order.
     */
    private static List<String> shape(TestSchema target, String prefix) throws SQLException {
        List<String> lines = new ArrayList<>();
        try (Connection connection = target.dataSource().getConnection()) {
            DatabaseMetaData metaData = connection.getMetaData();
            // PostgreSQL names a schema, MySQL/MariaDB a catalog (a database)
            boolean schemas = metaData.supportsSchemasInTableDefinitions();
            String catalog = schemas ? null : target.name();
            String schemaName = schemas ? target.name() : null;
            List<String> tableNames = new ArrayList<>();
            try (ResultSet rs = metaData.getTables(catalog, schemaName, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    String name = rs.getString("TABLE_NAME");
                    if (name.startsWith(prefix)) {
                        tableNames.add(name);
                    }
                }
            }
            Collections.sort(tableNames);
            for (String table : tableNames) {
                List<String> columns = new ArrayList<>();
                try (ResultSet rs = metaData.getColumns(catalog, schemaName, table, "%")) {
                    while (rs.next()) {
                        columns.add(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + "("
                                + rs.getInt("COLUMN_SIZE") + ") nullable=" + rs.getString("IS_NULLABLE")
                                + " default=" + rs.getString("COLUMN_DEF") + " auto="
                                + rs.getString("IS_AUTOINCREMENT"));
                    }
                }
                List<String> key = new ArrayList<>();
                try (ResultSet rs = metaData.getPrimaryKeys(catalog, schemaName, table)) {
                    while (rs.next()) {
                        key.add(rs.getShort("KEY_SEQ") + ":" + rs.getString("COLUMN_NAME"));
                    }
                }
                List<String> indexes = new ArrayList<>();
                try (ResultSet rs = metaData.getIndexInfo(catalog, schemaName, table, false, false)) {
                    while (rs.next()) {
                        if (rs.getString("INDEX_NAME") != null) {
                            indexes.add(rs.getString("INDEX_NAME") + (rs.getBoolean("NON_UNIQUE") ? "" : " unique")
                                    + " " + rs.getShort("ORDINAL_POSITION") + ":" + rs.getString("COLUMN_NAME"));
                        }
                    }
                }
                Collections.sort(key);
                Collections.sort(indexes);
                lines.add("table " + table + " columns " + columns + " key " + key + " indexes " + indexes);
            }
        }
        return lines;
    }

    /** Liquibase's tracking table: lower case on PostgreSQL, upper case on MySQL/MariaDB. */
    private static String changelogTable(TestSchema target) throws SQLException {
        for (String line : shape(target, "")) {
            String table = line.split(" ")[1];
            if (table.equalsIgnoreCase("databasechangelog")) {
                return table;
            }
        }
        throw new AssertionError("no databasechangelog table in " + target.name());
    }

    private long queryLongOn(TestSchema target, String sql) throws SQLException {
        try (Connection connection = target.dataSource().getConnection();
                PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet rs = statement.executeQuery()) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getLong(1);
        }
    }
}
