package dev.outbox.kafka.connect;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.localkafka.CommittedRecords;
import dev.outbox.localkafka.CommittedRecords.CommittedRecord;
import dev.outbox.localkafka.LocalConnect;
import dev.outbox.localkafka.LocalKafka;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.SchemaSql;
import dev.outbox.testkit.database.TestSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the connector's tests against a real broker and a real distributed Connect worker (both in
 * child JVMs, shared by the classes of one test JVM: a test that restarts them leaves them running)
 * and a fresh schema per class on the database a subclass names, made by the real migration. The
 * worker's plugin path is the plugin directory this module builds before its tests. Connectors
 * are deleted after each test, even when it fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConnectTestBase {

    protected static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static LocalKafka sharedKafka;
    private static LocalConnect sharedConnect;

    protected TestSchema schema;
    protected OutboxTables tables;
    protected SchemaSql sql;
    protected DataSource dataSource;
    protected OutboxWriter writer;
    private final List<String> connectors = new ArrayList<>();

    /** The database the tests of the subclass run on. */
    protected abstract TestDatabases database();

    protected final OutboxDialect dialect() {
        return database().dialect();
    }

    /** One broker for the test JVM; stopped at exit. */
    protected static synchronized LocalKafka kafka() {
        if (sharedKafka == null) {
            sharedKafka = LocalKafka.builder().start();
        }
        return sharedKafka;
    }

    /** One Connect worker for the test JVM, with this module's plugin; stopped at exit. */
    protected static synchronized LocalConnect connect() {
        if (sharedConnect == null) {
            String pluginPath = System.getProperty("outbox.connect.pluginPath");
            if (pluginPath == null || !Files.isDirectory(Path.of(pluginPath))) {
                throw new IllegalStateException("no connector plugin directory (system property"
                        + " outbox.connect.pluginPath, was " + pluginPath + "): run the tests with Maven,"
                        + " which builds it in target/connect-plugins before them");
            }
            sharedConnect = LocalConnect.builder(kafka())
                    .pluginPath(Path.of(pluginPath))
                    .start();
        }
        return sharedConnect;
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
    void dropSchema() throws Exception {
        if (sharedConnect != null) {
            // the worker's directory goes when the JVM exits: keep its log for a failure's diagnosis
            Path kept = Path.of("target", getClass().getSimpleName() + "-worker.log");
            Files.copy(sharedConnect.logFile(), kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        if (schema != null) {
            schema.close();
        }
    }

    @BeforeEach
    void emptyOutbox() throws SQLException {
        sql.emptyOutbox(tables);
    }

    @AfterEach
    void deleteConnectors() {
        for (String name : connectors) {
            if (sharedConnect != null && sharedConnect.isRunning()) {
                sharedConnect.request("DELETE", "/connectors/" + name, null);
            }
        }
        connectors.clear();
    }

    /** A name no other test uses. */
    protected static String uniqueName(String stem) {
        return stem + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * A connector configuration that works: the schema's tables, byte-array converters, exactly
     * once required; {@code overrides} on top.
     */
    protected Map<String, String> connectorConfig(String consumer, Map<String, String> overrides) {
        HikariDataSource pool = (HikariDataSource) dataSource;
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", "dev.outbox.kafka.connect.OutboxSourceConnector");
        config.put("tasks.max", "1");
        config.put("outbox.jdbc.url", pool.getJdbcUrl());
        config.put("outbox.jdbc.user", pool.getUsername());
        if (pool.getPassword() != null && !pool.getPassword().isEmpty()) {
            config.put("outbox.jdbc.password", pool.getPassword());
        }
        config.put("outbox.schema", schema.name());
        config.put("outbox.table.prefix", tables.prefix());
        config.put("outbox.consumer", consumer);
        config.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("exactly.once.support", "required");
        config.putAll(overrides);
        return config;
    }

    /** Creates (or reconfigures) connector {@code name}; deleted after the test. */
    protected LocalConnect.Response putConnector(String name, Map<String, String> config) {
        if (!connectors.contains(name)) {
            connectors.add(name);
        }
        LocalConnect.Response response = connect().request("PUT", "/connectors/" + name + "/config", json(config));
        assertThat(response.isSuccess())
                .as(
                        "PUT /connectors/%s/config: %s\nworker log:\n%s",
                        name, response, connect().logTail(60))
                .isTrue();
        return response;
    }

    /** The connector's status as the REST API tells it, and the worker log's last errors: a failure's context. */
    protected static String diagnosis(String name) {
        String errors = connect()
                .logTail(4000)
                .lines()
                .filter(line -> line.contains(" ERROR ") || line.contains(" WARN "))
                .skip(0)
                .reduce((a, b) -> a + "\n" + b)
                .orElse("");
        List<String> lines = errors.lines().toList();
        return "status: "
                + connect()
                        .request("GET", "/connectors/" + name + "/status", null)
                        .body()
                + "\nthe worker log's last warnings and errors:\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    /** Waits until connector {@code name} and {@code tasks} tasks run; fails with the trace of a failed one. */
    protected void awaitRunning(String name, int tasks) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            LocalConnect.Response status = connect().request("GET", "/connectors/" + name + "/status", null);
            last = status.body();
            if (status.status() == 200) {
                if (last.contains("\"FAILED\"")) {
                    throw new AssertionError("connector " + name + " failed: " + last);
                }
                Matcher running = Pattern.compile("\"state\":\"RUNNING\"").matcher(last);
                int count = 0;
                while (running.find()) {
                    count++;
                }
                int taskCount = countOf(last, "\"id\":");
                if (count == tasks + 1 && taskCount == tasks) {
                    return;
                }
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new AssertionError("connector " + name + " did not run " + tasks + " task(s) within " + TIMEOUT + ": "
                + last + "\nworker log:\n" + connect().logTail(80));
    }

    private static int countOf(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    protected static String json(Map<String, String> config) {
        StringBuilder json = new StringBuilder("{");
        config.forEach((key, value) -> json.append(json.length() == 1 ? "" : ",")
                .append(quoted(key))
                .append(':')
                .append(quoted(value)));
        return json.append('}').toString();
    }

    private static String quoted(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                default -> quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }

    protected static void createTopic(String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka().bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
                    .all()
                    .get();
        }
    }

    protected void appendCommitted(OutboxEvent... events) {
        writer.inTransaction(dataSource, tx -> {
            tx.append(events);
            return null;
        });
    }

    /** An un-started relay for reading the log and the consumers' status. */
    protected OutboxRelay readingRelay() {
        return OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(RelayOptions.builder()
                        .relayId(uniqueName("test-reader"))
                        .build())
                .build();
    }

    /**
     * Every record of {@code topic} that a {@code read_committed} consumer reads from the beginning
     * to the end (once {@code expected} records are there, or after {@code timeout}), in each
     * partition's order.
     */
    protected static List<CommittedRecord> readCommitted(String topic, int expected, Duration timeout) {
        return CommittedRecords.read(kafka().bootstrapServers(), List.of(topic), expected, timeout);
    }

    /** The key of every entry of the log, by seq: what was committed. */
    protected Map<Long, String> logKeys() throws SQLException {
        String query = "SELECT " + sql.column("seq") + ", " + sql.column("aggregate_id") + " FROM "
                + sql.table(tables.logTable()) + " ORDER BY " + sql.column("seq");
        Map<Long, String> keys = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(query);
                ResultSet rs = statement.executeQuery()) {
            while (rs.next()) {
                keys.put(rs.getLong(1), rs.getString(2));
            }
        }
        return keys;
    }
}
