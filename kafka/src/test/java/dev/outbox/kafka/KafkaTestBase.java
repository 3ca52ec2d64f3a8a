package dev.outbox.kafka;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.localkafka.CommittedRecords;
import dev.outbox.localkafka.CommittedRecords.CommittedRecord;
import dev.outbox.localkafka.LocalKafka;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.SchemaSql;
import dev.outbox.testkit.database.TestSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the publisher's tests: a fresh schema per class on the database a subclass names, made by
 * the real migration; one broker per test JVM ({@link #sharedKafka()}), each test on topics of its
 * own; relays and publishers closed after each test, even when it fails; a reader of what Kafka
 * holds, as a downstream consumer with {@code isolation.level=read_committed} sees it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class KafkaTestBase {

    protected static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static LocalKafka shared;

    protected TestSchema schema;
    protected OutboxTables tables;
    protected SchemaSql sql;
    protected DataSource dataSource;
    protected OutboxWriter writer;
    private final List<AutoCloseable> closeAfterTest = new CopyOnWriteArrayList<>();

    /** The database the tests of the subclass run on. */
    protected abstract TestDatabases database();

    protected final OutboxDialect dialect() {
        return database().dialect();
    }

    /** One broker for every class of this JVM that needs no broker of its own; stopped at exit. */
    protected static synchronized LocalKafka sharedKafka() {
        if (shared == null) {
            shared = LocalKafka.builder().start();
        }
        return shared;
    }

    @BeforeAll
    void createSchema() {
        schema = database().server().createSchema(getClass().getSimpleName());
        tables = schema.tables();
        dataSource = schema.dataSource();
        OutboxMigrations.migrate(dataSource, tables);
        sql = new SchemaSql(dataSource, dialect(), schema.name());
        writer = OutboxWriter.builder(dialect()).tables(tables).build();
    }

    @AfterAll
    void dropSchema() {
        if (schema != null) {
            schema.close();
        }
    }

    /** Each test starts with an empty outbox: its log begins at seq 1. */
    @BeforeEach
    void emptyOutbox() throws SQLException {
        sql.emptyOutbox(tables);
    }

    @AfterEach
    void closeWhatTheTestStarted() throws Exception {
        List<AutoCloseable> started = new ArrayList<>(closeAfterTest);
        closeAfterTest.clear();
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close(); // relays before the publishers they use
        }
    }

    protected <T extends AutoCloseable> T closeAfterTest(T resource) {
        closeAfterTest.add(resource);
        return resource;
    }

    /** A topic name no other test uses. */
    protected static String uniqueName(String stem) {
        return stem + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Producer properties for {@code kafka}, with timeouts short enough for tests. */
    protected static Properties producerProperties(LocalKafka kafka) {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", kafka.bootstrapServers());
        properties.setProperty("delivery.timeout.ms", "8000");
        properties.setProperty("request.timeout.ms", "3000");
        properties.setProperty("max.block.ms", "8000");
        properties.setProperty("reconnect.backoff.max.ms", "500");
        return properties;
    }

    /** Options that make tests fast: short polls and leases. */
    protected static RelayOptions.Builder fastOptions(String relayId) {
        return RelayOptions.builder()
                .relayId(relayId)
                .pollFloor(Duration.ofMillis(2))
                .pollCeiling(Duration.ofMillis(100))
                .leaseDuration(Duration.ofSeconds(3))
                .shutdownTimeout(Duration.ofSeconds(20));
    }

    /** Builds, starts and closes after the test a relay with fast options. */
    protected OutboxRelay startRelay(String relayId, Consumer<OutboxRelay.Builder> customize) {
        OutboxRelay.Builder builder = OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(fastOptions(relayId).build());
        customize.accept(builder);
        return closeAfterTest(builder.build()).start();
    }

    protected void appendCommitted(OutboxEvent... events) {
        writer.inTransaction(dataSource, tx -> {
            tx.append(events);
            return null;
        });
    }

    protected static void createTopic(LocalKafka kafka, String topic, int partitions, Map<String, String> configs)
            throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs)))
                    .all()
                    .get();
        }
    }

    /**
     * Every record of {@code topics} that a {@code read_committed} consumer reads from the beginning
     * to the end (as it is once {@code expected} records are there, or after {@code timeout}), in
     * each partition's order.
     */
    protected static List<CommittedRecord> readCommitted(
            LocalKafka kafka, List<String> topics, int expected, Duration timeout) {
        return CommittedRecords.read(kafka.bootstrapServers(), topics, expected, timeout);
    }

    /** One entry of the log as the database holds it: what was committed. */
    protected record LogEntry(long seq, UUID eventId, String aggregateType, String key) {}

    protected List<LogEntry> log() throws SQLException {
        String sql = "SELECT " + column("seq") + ", " + column("event_id") + ", " + column("aggregate_type") + ", "
                + column("aggregate_id") + " FROM " + table(tables.logTable()) + " ORDER BY " + column("seq");
        List<LogEntry> entries = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet rs = statement.executeQuery()) {
            while (rs.next()) {
                entries.add(new LogEntry(rs.getLong(1), dialect().readUuid(rs, 2), rs.getString(3), rs.getString(4)));
            }
        }
        return entries;
    }

    protected void execute(String statement) throws SQLException {
        sql.execute(statement);
    }

    protected String table(String name) {
        return sql.table(name);
    }

    protected String column(String name) {
        return sql.column(name);
    }
}
