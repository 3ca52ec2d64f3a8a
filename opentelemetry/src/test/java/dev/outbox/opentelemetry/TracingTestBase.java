package dev.outbox.opentelemetry;

import static org.awaitility.Awaitility.await;

import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.SchemaSql;
import dev.outbox.testkit.database.TestSchema;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the tracing tests: a fresh schema per class on the database a subclass names, made by the
 * real migration (the schema is named after the test class, so no other module's tables are
 * touched); an SDK that records spans in memory, emptied before each test; a writer that injects
 * the current trace; relays closed after each test, even when it fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TracingTestBase {

    protected static final Duration TIMEOUT = Duration.ofSeconds(30);

    protected TestSchema schema;
    protected OutboxTables tables;
    private SchemaSql sql;
    protected DataSource dataSource;
    protected RecordingOpenTelemetry otel;
    protected OutboxTracing tracing;
    /** A writer whose events carry the appending thread's trace context. */
    protected OutboxWriter writer;

    private final List<AutoCloseable> closeAfterTest = new CopyOnWriteArrayList<>();

    /** The database the tests of the subclass run on. */
    protected abstract TestDatabases database();

    protected final OutboxDialect dialect() {
        return database().dialect();
    }

    @BeforeAll
    void createSchema() {
        schema = database().server().createSchema(getClass().getSimpleName());
        tables = schema.tables();
        dataSource = schema.dataSource();
        OutboxMigrations.migrate(dataSource, tables);
        sql = new SchemaSql(dataSource, dialect(), schema.name());
        otel = new RecordingOpenTelemetry();
        tracing = OutboxTracing.create(otel.sdk);
        writer = OutboxWriter.builder(dialect())
                .tables(tables)
                .headers(tracing.headerSource())
                .build();
    }

    @AfterAll
    void dropSchema() {
        if (otel != null) {
            otel.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    /** Each test starts with an empty outbox (its log begins at seq 1) and no recorded span. */
    @BeforeEach
    void emptyOutbox() throws SQLException {
        sql.emptyOutbox(tables);
        otel.exporter.reset();
    }

    @AfterEach
    void closeWhatTheTestStarted() throws Exception {
        List<AutoCloseable> started = new ArrayList<>(closeAfterTest);
        closeAfterTest.clear();
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    protected <T extends AutoCloseable> T closeAfterTest(T resource) {
        closeAfterTest.add(resource);
        return resource;
    }

    /** Starts a relay with short polls that runs {@code consumer}; closed after the test. */
    protected OutboxRelay startRelay(OutboxConsumer consumer) {
        OutboxRelay relay = OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(RelayOptions.builder()
                        .relayId("tracing-test")
                        .pollFloor(Duration.ofMillis(2))
                        .pollCeiling(Duration.ofMillis(50))
                        .leaseDuration(Duration.ofSeconds(3))
                        .shutdownTimeout(Duration.ofSeconds(10))
                        .build())
                .consumer(consumer)
                .build();
        closeAfterTest.add(relay);
        return relay.start();
    }

    /** A relay that is not started: for the log and the dead letters of the tables. */
    protected OutboxRelay tools() {
        OutboxRelay relay =
                OutboxRelay.builder(dataSource, dialect()).tables(tables).build();
        closeAfterTest.add(relay);
        return relay;
    }

    /** Appends {@code events} in one transaction of {@link #writer}. */
    protected void appendCommitted(OutboxEvent... events) {
        writer.inTransaction(dataSource, tx -> {
            tx.append(events);
            return null;
        });
    }

    /** Waits until {@code count} delivery spans of {@code consumer} have ended, and returns them. */
    protected List<SpanData> awaitDeliverySpans(String consumer, int count) {
        String name = "outbox process " + consumer;
        await().atMost(TIMEOUT).until(() -> otel.spans(name).size() >= count);
        return otel.spans(name);
    }
}
