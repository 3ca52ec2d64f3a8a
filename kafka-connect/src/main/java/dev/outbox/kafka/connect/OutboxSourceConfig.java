package dev.outbox.kafka.connect;

import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxTables;
import dev.outbox.kafka.RecordMapping;
import dev.outbox.kafka.TopicRouter;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.jspecify.annotations.Nullable;

/**
 * The configuration of {@link OutboxSourceConnector}: its property names ({@code *_CONFIG}), their
 * {@link ConfigDef} (types, defaults, ranges and documentation, which Connect's REST API shows) and
 * what they are parsed into. The password has Connect's password type: never logged, {@code
 * [hidden]} in what Connect prints; give it through a config provider ({@code
 * ${file:/etc/secrets/outbox.properties:password}}) so that the connector's configuration as Connect
 * stores and shows it holds only the reference. Immutable.
 */
public final class OutboxSourceConfig extends AbstractConfig {

    /** The JDBC URL of the database: {@code jdbc:postgresql:}, {@code jdbc:mariadb:} or {@code jdbc:mysql:}. */
    public static final String JDBC_URL_CONFIG = "outbox.jdbc.url";
    /** The database user. */
    public static final String JDBC_USER_CONFIG = "outbox.jdbc.user";
    /** The database password (Connect's password type). */
    public static final String JDBC_PASSWORD_CONFIG = "outbox.jdbc.password";
    /** The schema (PostgreSQL) or database (MySQL/MariaDB) of the outbox tables; empty: the connection's. */
    public static final String SCHEMA_CONFIG = "outbox.schema";
    /** The prefix of the outbox tables' names. */
    public static final String TABLE_PREFIX_CONFIG = "outbox.table.prefix";
    /** The consumer whose position the connector keeps in the database. */
    public static final String CONSUMER_CONFIG = "outbox.consumer";
    /** The number of partitions the consumer is split into. */
    public static final String PARTITIONS_CONFIG = "outbox.partitions";
    /** Most log entries read in one {@code poll()}, which is one Kafka transaction in exactly-once mode. */
    public static final String BATCH_SIZE_CONFIG = "outbox.batch.size";
    /** How long a {@code poll()} that found nothing waits before it returns. */
    public static final String POLL_INTERVAL_CONFIG = "outbox.poll.interval.ms";
    /** Topic routing by aggregate type: {@code <prefix>.<aggregateType>}, and {@code <prefix>} without one. */
    public static final String TOPIC_PREFIX_CONFIG = "outbox.topic.prefix";
    /** One topic for every entry; overrides the prefix. */
    public static final String TOPIC_CONFIG = "outbox.topic";
    /** A {@link TopicRouter} class with a public no-argument constructor; overrides both others. */
    public static final String TOPIC_ROUTER_CONFIG = "outbox.topic.router";
    /** Whether the tasks run the sequencer (one at a time, through the sequencer lock). */
    public static final String SEQUENCER_CONFIG = "outbox.sequencer.enabled";

    /** Set by the connector for each task: the outbox partitions it serves, e.g. {@code 0,3,6}. */
    static final String TASK_PARTITIONS_CONFIG = "outbox.task.partitions";

    private static final String CONNECTION = "Database";
    private static final String LOG = "Outbox log";
    private static final String TOPICS = "Topics";

    /** The definition of every property, with its documentation. */
    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(
                    JDBC_URL_CONFIG,
                    Type.STRING,
                    ConfigDef.NO_DEFAULT_VALUE,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "JDBC URL of the database that holds the outbox tables: jdbc:postgresql://host:5432/db,"
                            + " jdbc:mariadb://host:3306/db (MariaDB and MySQL; the plugin ships this driver) or"
                            + " jdbc:mysql://host:3306/db (add MySQL Connector/J to the plugin's directory)."
                            + " Give credentials in the user and password properties, not in the URL.",
                    CONNECTION,
                    1,
                    ConfigDef.Width.LONG,
                    "JDBC URL")
            .define(
                    JDBC_USER_CONFIG,
                    Type.STRING,
                    "",
                    Importance.HIGH,
                    "Database user. Needs SELECT on the log, SELECT/INSERT/UPDATE on the consumer table and," + " with "
                            + SEQUENCER_CONFIG + "=true, what a relay's sequencer needs.",
                    CONNECTION,
                    2,
                    ConfigDef.Width.MEDIUM,
                    "User")
            .define(
                    JDBC_PASSWORD_CONFIG,
                    Type.PASSWORD,
                    "",
                    Importance.HIGH,
                    "Database password. Never logged; give it through a config provider, e.g."
                            + " ${file:/etc/kafka/secrets/outbox.properties:password}, so that Connect stores and"
                            + " shows only the reference.",
                    CONNECTION,
                    3,
                    ConfigDef.Width.MEDIUM,
                    "Password")
            .define(
                    SCHEMA_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "Schema (PostgreSQL) or database (MySQL/MariaDB) of the outbox tables; empty: the"
                            + " connection's default.",
                    CONNECTION,
                    4,
                    ConfigDef.Width.MEDIUM,
                    "Schema")
            .define(
                    TABLE_PREFIX_CONFIG,
                    Type.STRING,
                    OutboxTables.DEFAULT_PREFIX,
                    Importance.MEDIUM,
                    "Prefix of the outbox tables' names, as the migration created them.",
                    CONNECTION,
                    5,
                    ConfigDef.Width.SHORT,
                    "Table prefix")
            .define(
                    CONSUMER_CONFIG,
                    Type.STRING,
                    ConfigDef.NO_DEFAULT_VALUE,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Name of the outbox consumer this connector is (1 to 100 characters of [A-Za-z0-9._-]). Its"
                            + " rows in the consumer table hold log retention back until Kafka has every entry,"
                            + " and show its position to status and the command-line tool. No application relay"
                            + " may register the same name. Without an offset in Connect, a new connector starts"
                            + " at the checkpoint of an existing consumer of this name, else at the log's start.",
                    LOG,
                    1,
                    ConfigDef.Width.MEDIUM,
                    "Consumer")
            .define(
                    PARTITIONS_CONFIG,
                    Type.INT,
                    1,
                    ConfigDef.Range.between(1, 1024),
                    Importance.MEDIUM,
                    "Partitions of the consumer: entry -> partition toPositive(murmur2(aggregateId)) % P, Kafka's"
                            + " keyed partitioner, so take the topics' partition count. Tasks serve partitions"
                            + " (at most one task per partition: tasks.max above P runs P tasks); each key keeps"
                            + " its order. Fixed for a consumer name.",
                    LOG,
                    2,
                    ConfigDef.Width.SHORT,
                    "Partitions")
            .define(
                    BATCH_SIZE_CONFIG,
                    Type.INT,
                    1000,
                    ConfigDef.Range.between(1, 10_000),
                    Importance.MEDIUM,
                    "Most log entries read by one poll(): one Kafka transaction in exactly-once mode"
                            + " (transaction.boundary=poll).",
                    LOG,
                    3,
                    ConfigDef.Width.SHORT,
                    "Batch size")
            .define(
                    POLL_INTERVAL_CONFIG,
                    Type.LONG,
                    100L,
                    ConfigDef.Range.between(1, 60_000),
                    Importance.LOW,
                    "Milliseconds a poll() that found no new entry waits before it returns (and the next one"
                            + " reads again).",
                    LOG,
                    4,
                    ConfigDef.Width.SHORT,
                    "Poll interval (ms)")
            .define(
                    SEQUENCER_CONFIG,
                    Type.BOOLEAN,
                    true,
                    Importance.LOW,
                    "Whether the tasks run the outbox's sequencer (which turns committed events into log"
                            + " entries). One sequencer runs at a time across tasks and application relays,"
                            + " through the sequencer lock; false if application relays sequence.",
                    LOG,
                    5,
                    ConfigDef.Width.SHORT,
                    "Run the sequencer")
            .define(
                    TOPIC_PREFIX_CONFIG,
                    Type.STRING,
                    "outbox.event",
                    Importance.MEDIUM,
                    "Topic routing by aggregate type (Debezium's outbox convention): <prefix>.<aggregateType>,"
                            + " and <prefix> for entries without one.",
                    TOPICS,
                    1,
                    ConfigDef.Width.MEDIUM,
                    "Topic prefix")
            .define(
                    TOPIC_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "One topic for every entry; overrides " + TOPIC_PREFIX_CONFIG + ".",
                    TOPICS,
                    2,
                    ConfigDef.Width.MEDIUM,
                    "Topic")
            .define(
                    TOPIC_ROUTER_CONFIG,
                    Type.CLASS,
                    null,
                    Importance.LOW,
                    "A dev.outbox.kafka.TopicRouter class with a public no-argument constructor, in the plugin's"
                            + " directory; overrides " + TOPIC_CONFIG + " and " + TOPIC_PREFIX_CONFIG + ".",
                    TOPICS,
                    3,
                    ConfigDef.Width.LONG,
                    "Topic router class");

    /** The configuration of {@code properties}. */
    public OutboxSourceConfig(Map<String, String> properties) {
        super(CONFIG_DEF, properties);
    }

    /** The JDBC URL. */
    public String jdbcUrl() {
        return getString(JDBC_URL_CONFIG);
    }

    /** The user, or {@code null} when none is configured. */
    public @Nullable String user() {
        String user = getString(JDBC_USER_CONFIG);
        return user.isBlank() ? null : user;
    }

    /** The password, or {@code null} when none is configured. */
    public @Nullable Password password() {
        Password password = getPassword(JDBC_PASSWORD_CONFIG);
        return password == null || password.value().isEmpty() ? null : password;
    }

    /**
     * The outbox tables.
     *
     * @throws OutboxConfigurationException for a schema or prefix that is no valid identifier
     */
    public OutboxTables tables() {
        String schema = getString(SCHEMA_CONFIG);
        return OutboxTables.of(schema.isBlank() ? null : schema, getString(TABLE_PREFIX_CONFIG));
    }

    /** The consumer's name. */
    public String consumer() {
        return getString(CONSUMER_CONFIG);
    }

    /** The consumer's number of partitions. */
    public int partitions() {
        return getInt(PARTITIONS_CONFIG);
    }

    /** Most entries per poll. */
    public int batchSize() {
        return getInt(BATCH_SIZE_CONFIG);
    }

    /** Wait of an empty poll, in milliseconds. */
    public long pollIntervalMillis() {
        return getLong(POLL_INTERVAL_CONFIG);
    }

    /** Whether the tasks run the sequencer. */
    public boolean runsSequencer() {
        return getBoolean(SEQUENCER_CONFIG);
    }

    /**
     * The topic router the properties name.
     *
     * @throws ConfigException if the router class cannot be made
     */
    public TopicRouter topicRouter() {
        Class<?> routerClass = getClass(TOPIC_ROUTER_CONFIG);
        if (routerClass != null) {
            if (!TopicRouter.class.isAssignableFrom(routerClass)) {
                throw new ConfigException(
                        TOPIC_ROUTER_CONFIG, routerClass.getName(), "not a " + TopicRouter.class.getName());
            }
            try {
                return (TopicRouter) routerClass.getConstructor().newInstance();
            } catch (NoSuchMethodException
                    | InstantiationException
                    | IllegalAccessException
                    | InvocationTargetException e) {
                throw new ConfigException(
                        TOPIC_ROUTER_CONFIG,
                        routerClass.getName(),
                        "cannot be made with a public no-argument constructor: " + e);
            }
        }
        String topic = getString(TOPIC_CONFIG);
        if (!topic.isBlank()) {
            return TopicRouter.fixed(topic);
        }
        return TopicRouter.byAggregateType(getString(TOPIC_PREFIX_CONFIG));
    }

    /**
     * What is wrong with the values that each property's type and range allow but the outbox does
     * not, by property name: the URL's scheme, the tables' identifiers, the consumer name, the topic
     * names, the router class. Empty when nothing is.
     */
    public Map<String, List<String>> problems() {
        Map<String, List<String>> problems = new HashMap<>();
        String url = jdbcUrl();
        if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:mariadb:") && !url.startsWith("jdbc:mysql:")) {
            add(problems, JDBC_URL_CONFIG, "must start with jdbc:postgresql:, jdbc:mariadb: or jdbc:mysql:");
        } else if (url.toLowerCase(java.util.Locale.ROOT).contains("password=")) {
            add(problems, JDBC_URL_CONFIG, "holds a password: give it in " + JDBC_PASSWORD_CONFIG + " instead");
        }
        try {
            tables();
        } catch (OutboxConfigurationException e) {
            add(problems, getString(SCHEMA_CONFIG).isBlank() ? TABLE_PREFIX_CONFIG : SCHEMA_CONFIG, e.getMessage());
        }
        try {
            OutboxConsumer.atLeastOnce(consumer(), batch -> {}).build();
        } catch (OutboxConfigurationException e) {
            add(problems, CONSUMER_CONFIG, e.getMessage());
        }
        String topic = getString(TOPIC_CONFIG);
        if (!topic.isBlank() && RecordMapping.topicProblem(topic) != null) {
            add(
                    problems,
                    TOPIC_CONFIG,
                    "'" + topic + "' is not a valid topic name (1 to 249 characters of" + " [a-zA-Z0-9._-])");
        }
        // the prefix alone is the topic of entries without an aggregate type
        String prefix = getString(TOPIC_PREFIX_CONFIG);
        if (RecordMapping.topicProblem(prefix) != null) {
            add(
                    problems,
                    TOPIC_PREFIX_CONFIG,
                    "'" + prefix + "' is not a valid topic name (1 to 249 characters" + " of [a-zA-Z0-9._-])");
        }
        try {
            topicRouter();
        } catch (ConfigException e) {
            add(problems, TOPIC_ROUTER_CONFIG, e.getMessage());
        }
        return problems;
    }

    private static void add(Map<String, List<String>> problems, String property, String problem) {
        problems.computeIfAbsent(property, p -> new ArrayList<>()).add(problem);
    }
}
