package dev.outbox.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.EventHandler;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.database.SchemaSql;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testkit.database.TestSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of every conformance test: one fresh schema per test class, created by the real migration;
 * the outbox emptied before each test; every relay a test starts closed after it, even when it
 * fails. The database, dialect and migration come from the {@link OutboxFixture} that a {@link
 * ConformanceFixture} on the test class or an enclosing class names (or from overriding {@link
 * #fixture()}); {@link ConformanceSuite} runs every suite on one fixture.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ConformanceTestBase {

    /** Generous bound for waits on deliveries; a healthy run takes a fraction of it. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(60);

    protected TestSchema schema;
    protected OutboxTables tables;
    protected DataSource dataSource;
    protected OutboxWriter writer;
    private final List<OutboxRelay> relays = new CopyOnWriteArrayList<>();

    /**
     * The fixture the tests run on: by default the one named by {@link ConformanceFixture} on this
     * class or the nearest enclosing one.
     */
    protected OutboxFixture fixture() {
        return OutboxFixture.namedBy(getClass());
    }

    /** The server the tests run on. */
    protected TestDatabase database() {
        return fixture().database();
    }

    /** The dialect under test. */
    protected final OutboxDialect dialect() {
        return fixture().dialect();
    }

    /** Creates or upgrades the outbox tables of {@code target} with the fixture's migration. */
    protected final void migrate(DataSource target, OutboxTables targetTables) {
        fixture().migrate(target, targetTables);
    }

    @BeforeAll
    void createSchema() {
        schema = database().createSchema(getClass().getSimpleName());
        tables = schema.tables();
        dataSource = schema.dataSource();
        migrate(dataSource, tables);
        writer = OutboxWriter.builder(dialect()).tables(tables).build();
    }

    @AfterAll
    void dropSchema() {
        if (schema != null) {
            schema.close();
        }
    }

    @BeforeEach
    void emptyOutbox() throws SQLException {
        sql().emptyOutbox(tables);
    }

    @AfterEach
    void closeRelays() {
        relays.forEach(OutboxRelay::close);
        relays.clear();
    }

    /**
     * Records like {@link RecordingHandler} but, until fixed, throws on a batch that holds an event of
     * type "Poison" (and records none of that batch: an all-or-nothing handler, so that the exact
     * deliveries can be asserted).
     */
    protected static EventHandler poisonSensitive(EventHandler recorder, AtomicBoolean fixed) {
        return batch -> {
            for (OutboxRecord record : batch) {
                if (record.eventType().equals("Poison") && !fixed.get()) {
                    throw new IllegalArgumentException("cannot index event " + record.seq() + ": malformed payload");
                }
            }
            recorder.handle(batch);
        };
    }

    /** Options that make tests fast: short polls and leases. */
    protected RelayOptions.Builder fastOptions(String relayId) {
        return RelayOptions.builder()
                .relayId(relayId)
                .pollFloor(Duration.ofMillis(2))
                .pollCeiling(Duration.ofMillis(100))
                .leaseDuration(Duration.ofSeconds(2))
                .shutdownTimeout(Duration.ofSeconds(20));
    }

    /** Builds, starts and remembers (to close after the test) a relay with fast options. */
    protected OutboxRelay startRelay(String relayId, Consumer<OutboxRelay.Builder> customize) {
        OutboxRelay.Builder builder = OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(fastOptions(relayId).build());
        customize.accept(builder);
        return track(builder.build()).start();
    }

    /** Remembers a relay to close after the test. */
    protected OutboxRelay track(OutboxRelay relay) {
        relays.add(relay);
        return relay;
    }

    /** Appends events in one committed transaction. */
    protected void appendCommitted(OutboxEvent... events) {
        writer.inTransaction(dataSource, tx -> {
            tx.append(events);
            return null;
        });
    }

    /** {@code count} events for key {@code key}, in one committed transaction each. */
    protected List<UUID> appendEach(String key, int count) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            OutboxEvent event = OutboxEvent.of("test", key, "Happened", "{\"n\":" + i + "}");
            appendCommitted(event);
            ids.add(event.eventId());
        }
        return ids;
    }

    /** Plain SQL on the test's schema. */
    protected SchemaSql sql() {
        return new SchemaSql(dataSource, dialect(), schema.name());
    }

    /** The quoted, schema-qualified name of a table, rendered for the dialect under test. */
    protected String table(String name) {
        return sql().table(name);
    }

    /** A quoted column name, rendered for the dialect under test. */
    protected String column(String name) {
        return sql().column(name);
    }

    protected void execute(String sql, Object... parameters) throws SQLException {
        sql().execute(sql, parameters);
    }

    protected List<Long> queryLongs(String sql, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            List<Long> values = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    values.add(rs.getLong(1));
                }
            }
            return values;
        }
    }

    protected long queryLong(String sql, Object... parameters) throws SQLException {
        List<Long> values = queryLongs(sql, parameters);
        assertThat(values).as(sql).hasSize(1);
        return values.get(0);
    }

    /** One entry of the log as the database holds it: the source of truth for the checks. */
    protected record LogEntry(long seq, UUID eventId, String aggregateId, String eventType, String payload) {}

    /** The whole log, in seq order, read directly from the table. */
    protected List<LogEntry> log() throws SQLException {
        String sql = "SELECT " + column("seq") + ", " + column("event_id") + ", " + column("aggregate_id") + ", "
                + column("event_type") + ", " + column("payload") + " FROM " + table(tables.logTable())
                + " ORDER BY " + column("seq");
        List<LogEntry> entries = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet rs = statement.executeQuery()) {
            while (rs.next()) {
                entries.add(new LogEntry(
                        rs.getLong(1), dialect().readUuid(rs, 2), rs.getString(3), rs.getString(4), rs.getString(5)));
            }
        }
        return entries;
    }

    protected long queueSize() throws SQLException {
        return queryLong("SELECT COUNT(*) FROM " + table(tables.eventTable()));
    }

    /** Asserts that {@code seqs} is exactly 1, 2, ..., n. */
    protected static void assertGapFreeFromOne(List<Long> seqs) {
        for (int i = 0; i < seqs.size(); i++) {
            if (seqs.get(i) != i + 1) {
                throw new AssertionError("seq is not gap-free from 1: at index " + i + " expected " + (i + 1)
                        + " but found " + seqs.get(i) + " (around: "
                        + seqs.subList(Math.max(0, i - 3), Math.min(seqs.size(), i + 4)) + ")");
            }
        }
    }
}
