package dev.outbox.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.database.TestSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import liquibase.Scope;
import liquibase.UpdateSummaryOutputEnum;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.command.core.helpers.ShowSummaryArgument;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;
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

        OutboxMigrations.migrate(dataSource, tables);
        OutboxMigrations.migrate(dataSource, tables);

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
        OutboxMigrations.migrate(dataSource, other);
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
                    .isInstanceOf(dev.outbox.OutboxSchemaException.class)
                    .hasMessageContaining("schema version 0")
                    .hasMessageContaining("OutboxMigrations.migrate(dataSource)");
        } finally {
            execute("UPDATE " + table(tables.sequencerTable()) + " SET " + column("schema_version") + " = ?", version);
        }
    }

    @Test
    void shouldRefuseAPrefixThatIsNotAnIdentifier() {
        assertThatThrownBy(() -> OutboxTables.of(schema.name(), "bad\"; drop table x; --"))
                .isInstanceOf(dev.outbox.OutboxConfigurationException.class)
                .hasMessageContaining("prefix must be a lower-case identifier");
    }

    @Test
    void shouldUpgradeAnInstallationOfSchemaVersionOneWithItsDataInPlace() throws Exception {
        TestSchema old = database().createSchema("v1");
        try {
            OutboxTables v1 = old.tables();
            runChangelog(old, "dev/outbox/testkit/conformance/changelog-v1.yaml");
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

            OutboxMigrations.migrate(old.dataSource(), v1);

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
            relay.close();
            OutboxMigrations.migrate(old.dataSource(), v1); // and again: nothing left to do
        } finally {
            old.close();
        }
    }

    /** Runs a Liquibase changelog from the class path on {@code target}, as a user's deployment would. */
    static void runChangelog(TestSchema target, String changelog) throws Exception {
        try (Connection connection = target.dataSource().getConnection()) {
            Database database =
                    DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(connection));
            database.setDefaultSchemaName(target.name());
            database.setLiquibaseSchemaName(target.name());
            Map<String, Object> scope = Map.of(
                    Scope.Attr.resourceAccessor.name(),
                    new ClassLoaderResourceAccessor(MigrationConformanceTest.class.getClassLoader()),
                    Scope.Attr.ui.name(),
                    new LoggerUIService());
            Scope.child(
                    scope,
                    () -> new CommandScope(UpdateCommandStep.COMMAND_NAME)
                            .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                            .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, changelog)
                            .addArgumentValue(ShowSummaryArgument.SHOW_SUMMARY_OUTPUT, UpdateSummaryOutputEnum.LOG)
                            .execute());
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
}
