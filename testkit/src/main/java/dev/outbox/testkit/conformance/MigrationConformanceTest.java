package dev.outbox.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.testkit.RecordingHandler;
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
            execute("UPDATE " + table(tables.sequencerTable()) + " SET " + column("schema_version") + " = 1");
        }
    }

    @Test
    void shouldRefuseAPrefixThatIsNotAnIdentifier() {
        assertThatThrownBy(() -> OutboxTables.of(schema.name(), "bad\"; drop table x; --"))
                .isInstanceOf(dev.outbox.OutboxConfigurationException.class)
                .hasMessageContaining("prefix must be a lower-case identifier");
    }
}
