package dev.outbox.kafka.connect;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import dev.outbox.kafka.connect.internal.OutboxDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.util.ConnectorUtils;

/**
 * A Kafka Connect source connector that reads the outbox log of a PostgreSQL or MySQL/MariaDB
 * database into Kafka, with the records of the {@code KafkaPublisher} (topic routing, key, value,
 * headers: {@link dev.outbox.kafka.RecordMapping}). It is one outbox consumer, by name, split into
 * {@value OutboxSourceConfig#PARTITIONS_CONFIG} partitions by Kafka's keyed partitioner; {@link
 * #taskConfigs(int)} gives each task a contiguous group of them (at most one task per partition).
 * No replication slot, binlog access or server setting is needed: it reads the log's table.
 *
 * <p>Exactly once on distributed workers with {@code exactly.once.source.support=enabled} (KIP-618):
 * {@link #exactlyOnceSupport} is {@code SUPPORTED}, because the source offset is the entry's {@code
 * seq} in a gap-free log, an exact resume position; each {@code poll()} is one log batch and, with
 * the default {@code transaction.boundary=poll}, one Kafka transaction with its offsets. Operators
 * replay through Connect's offsets API ({@link #alterOffsets}: {@code {"seq": N}} delivers again
 * the entries after {@code N}).
 *
 * <p>{@link #validate} refuses a configuration that cannot work, naming the property: types and
 * ranges, the JDBC URL's scheme, identifiers, topic names, the converters (keys and values must be
 * written as the bytes the mapping makes: {@code ByteArrayConverter}), and, when those are right,
 * whether the database can be reached and holds the outbox tables with the consumer's partitions.
 *
 * <p>Connect creates and calls it; it holds no resource between calls.
 */
public class OutboxSourceConnector extends SourceConnector {

    /** This connector's version: the outbox library's. */
    static final String VERSION = readVersion();

    static final String BYTE_ARRAY_CONVERTER = "org.apache.kafka.connect.converters.ByteArrayConverter";
    private static final List<String> CONVERTERS = List.of("key.converter", "value.converter");

    private Map<String, String> properties = Map.of();

    public OutboxSourceConnector() {}

    @Override
    public String version() {
        return VERSION;
    }

    @Override
    public void start(Map<String, String> properties) {
        OutboxSourceConfig config = new OutboxSourceConfig(properties);
        Map<String, List<String>> problems = config.problems();
        if (!problems.isEmpty()) {
            throw new ConnectException("outbox source connector: invalid configuration " + problems);
        }
        this.properties = Map.copyOf(properties);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return OutboxSourceTask.class;
    }

    /** {@code min(maxTasks, partitions)} tasks, each with a contiguous group of partitions. */
    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        int partitions = new OutboxSourceConfig(properties).partitions();
        List<Integer> numbers = IntStream.range(0, partitions).boxed().toList();
        List<Map<String, String>> tasks = new ArrayList<>();
        for (List<Integer> group : ConnectorUtils.groupPartitions(numbers, Math.min(maxTasks, partitions))) {
            Map<String, String> task = new HashMap<>(properties);
            task.put(
                    OutboxSourceConfig.TASK_PARTITIONS_CONFIG,
                    String.join(",", group.stream().map(String::valueOf).toList()));
            tasks.add(task);
        }
        return tasks;
    }

    @Override
    public void stop() {
        // nothing held: the tasks own their connections
    }

    @Override
    public ConfigDef config() {
        return OutboxSourceConfig.CONFIG_DEF;
    }

    /**
     * {@code SUPPORTED}: the source offset ({@code seq}) resumes exactly, whatever the
     * configuration.
     */
    @Override
    public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
        return ExactlyOnceSupport.SUPPORTED;
    }

    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config validated = super.validate(connectorConfigs);
        Map<String, ConfigValue> values = new HashMap<>();
        validated.configValues().forEach(value -> values.put(value.name(), value));
        if (values.values().stream().anyMatch(value -> !value.errorMessages().isEmpty())) {
            return validated; // types and ranges first: the rest parses the values
        }
        List<ConfigValue> all = new ArrayList<>(validated.configValues());
        OutboxSourceConfig config = new OutboxSourceConfig(connectorConfigs);
        config.problems().forEach((name, messages) -> messages.forEach(values.get(name)::addErrorMessage));
        for (String converter : CONVERTERS) {
            String value = connectorConfigs.get(converter);
            if (!BYTE_ARRAY_CONVERTER.equals(value)) {
                all.add(new ConfigValue(
                        converter,
                        value,
                        List.of(),
                        List.of(converter + " must be " + BYTE_ARRAY_CONVERTER + " in the connector's configuration"
                                + " (was " + value + "): the records' keys and values are the bytes the outbox"
                                + " makes (the key, the aggregate id's UTF-8 bytes, decides the partition)")));
            }
        }
        if (all.stream().allMatch(value -> value.errorMessages().isEmpty())) {
            checkDatabase(config, values);
        }
        return new Config(all);
    }

    /** Connects once: the database answers, the tables exist at this version, the partitions agree. */
    private static void checkDatabase(OutboxSourceConfig config, Map<String, ConfigValue> values) {
        OutboxTables tables = config.tables();
        try (OutboxDatabase database = OutboxDatabase.open(
                config.jdbcUrl(),
                config.user(),
                config.password() == null ? null : config.password().value(),
                tables,
                config.consumer(),
                config.partitions(),
                config.consumer() + "-validate",
                1,
                10_000)) {
            try {
                database.declaring().checkSchema();
            } catch (OutboxException e) {
                values.get(
                                tables.schema() == null
                                        ? OutboxSourceConfig.TABLE_PREFIX_CONFIG
                                        : OutboxSourceConfig.SCHEMA_CONFIG)
                        .addErrorMessage(e.getMessage());
                return;
            }
            ConsumerStatus status = database.declaring().status(config.consumer());
            int rows = status.partitions().size();
            if (rows > 0 && rows != config.partitions()) {
                values.get(OutboxSourceConfig.PARTITIONS_CONFIG)
                        .addErrorMessage("consumer '" + config.consumer() + "' has " + rows
                                + " partition(s) in the database: a key's entries would move to another"
                                + " partition. Use " + rows + ", or a new consumer name");
            }
        } catch (RuntimeException e) {
            values.get(OutboxSourceConfig.JDBC_URL_CONFIG)
                    .addErrorMessage(
                            "cannot connect to the database (check the URL, user and password): " + rootMessage(e));
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    /**
     * Accepts offsets of this connector's source partitions with {@code {"seq": N}}, {@code N >= 0}
     * (the task delivers the entries after {@code N}), or none (the partition starts again from the
     * consumer row's checkpoint).
     */
    @Override
    public boolean alterOffsets(Map<String, String> connectorConfig, Map<Map<String, ?>, Map<String, ?>> offsets) {
        OutboxSourceConfig config = new OutboxSourceConfig(connectorConfig);
        String tables = OutboxSourceTask.tablesName(config.tables());
        for (Map.Entry<Map<String, ?>, Map<String, ?>> entry : offsets.entrySet()) {
            Map<String, ?> partition = entry.getKey();
            Object number = partition.get("partition");
            if (!tables.equals(partition.get("tables"))
                    || !config.consumer().equals(partition.get("consumer"))
                    || !(number instanceof Number)
                    || ((Number) number).intValue() < 0
                    || ((Number) number).intValue() >= config.partitions()
                    || !partition.keySet().equals(OutboxSourceTask.SOURCE_PARTITION_KEYS)) {
                throw new ConnectException("not a source partition of this connector: " + partition + "; its"
                        + " partitions are {\"tables\": \"" + tables + "\", \"consumer\": \"" + config.consumer()
                        + "\", \"partition\": 0 to " + (config.partitions() - 1)
                        + "} (GET /connectors/<name>/offsets shows them)");
            }
            Map<String, ?> offset = entry.getValue();
            if (offset == null) {
                continue;
            }
            Object seq = offset.get("seq");
            if (offset.size() != 1
                    || !(seq instanceof Number)
                    || seq instanceof Double
                    || seq instanceof Float
                    || ((Number) seq).longValue() < 0) {
                throw new ConnectException("offset " + offset + " of partition " + partition + ": an offset is"
                        + " {\"seq\": N}, N >= 0, the last seq delivered (the entries after it are delivered)");
            }
        }
        return true;
    }

    private static String readVersion() {
        try (InputStream in = OutboxSourceConnector.class.getResourceAsStream("version.properties")) {
            Properties version = new Properties();
            if (in != null) {
                version.load(in);
            }
            return version.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
