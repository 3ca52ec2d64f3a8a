package dev.outbox.kafka.connect.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.RelayOptions;
import dev.outbox.mysql.MariaDbDialect;
import dev.outbox.mysql.MySqlDialect;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.spi.OutboxDialect;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A task's (or a validation's) connection to the outbox tables, through core's public API: a small
 * pool; a relay that declares the connector's consumer with its partitions and is never started
 * (it reads the log, and resets the consumer's rows: that is how their checkpoints are written
 * without running the consumer); and, when asked, a started relay without consumers, which
 * sequences while it holds the sequencer lock and otherwise stands by. Owns all three: {@link
 * #close()} closes them. Not thread-safe for lifecycle calls; the relays are thread-safe.
 */
public final class OutboxDatabase implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final OutboxRelay declaring;
    private @Nullable OutboxRelay sequencer;

    private OutboxDatabase(HikariDataSource dataSource, OutboxRelay declaring) {
        this.dataSource = dataSource;
        this.declaring = declaring;
    }

    /**
     * Opens a pool of at most {@code poolSize} connections and builds the declaring relay.
     *
     * @param what names the pool and the relays, e.g. {@code orders-to-kafka-task-0,1}
     */
    public static OutboxDatabase open(
            String jdbcUrl,
            @Nullable String user,
            @Nullable String password,
            OutboxTables tables,
            String consumer,
            int partitions,
            String what,
            int poolSize,
            long connectTimeoutMillis) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("outbox-connect-" + what);
        config.setJdbcUrl(jdbcUrl);
        if (user != null) {
            config.setUsername(user);
        }
        if (password != null) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(connectTimeoutMillis);
        // fail at once when no connection can be made, with the driver's reason
        config.setInitializationFailTimeout(1);
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            OutboxConsumer declared = OutboxConsumer.atLeastOnce(consumer, batch -> {
                        throw new IllegalStateException("consumer '" + consumer + "' is run by Kafka Connect");
                    })
                    .partitions(partitions)
                    .build();
            OutboxRelay declaring = OutboxRelay.builder(dataSource, dialect(jdbcUrl))
                    .tables(tables)
                    .options(RelayOptions.builder().relayId(relayId(what)).build())
                    .consumer(declared)
                    .build();
            return new OutboxDatabase(dataSource, declaring);
        } catch (RuntimeException | Error e) {
            dataSource.close();
            throw e;
        }
    }

    /** The dialect of a JDBC URL's scheme. */
    public static OutboxDialect dialect(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return PostgresDialect.create();
        }
        if (jdbcUrl.startsWith("jdbc:mariadb:")) {
            return MariaDbDialect.create();
        }
        if (jdbcUrl.startsWith("jdbc:mysql:")) {
            return MySqlDialect.create();
        }
        throw new IllegalArgumentException(
                "the JDBC URL must start with jdbc:postgresql:, jdbc:mariadb: or jdbc:mysql:");
    }

    private static String relayId(String what) {
        return "kafka-connect/" + what + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** The relay that declares the consumer: never started; for the log, status and resets. */
    public OutboxRelay declaring() {
        return declaring;
    }

    /** Starts a relay without consumers that sequences (or stands by for the sequencer lock). */
    public void startSequencer(OutboxTables tables, String what) {
        if (sequencer != null) {
            return;
        }
        sequencer = OutboxRelay.builder(dataSource, dialect(dataSource.getJdbcUrl()))
                .tables(tables)
                .options(RelayOptions.builder()
                        .relayId(relayId(what) + "/sequencer")
                        .build())
                .build()
                .start();
    }

    /** Whether this task's sequencer holds the sequencer lock now. */
    public boolean isSequencing() {
        return sequencer != null && sequencer.isSequencing();
    }

    /** Closes the sequencer (releasing its lock), the declaring relay and the pool. Idempotent. */
    @Override
    public void close() {
        try {
            if (sequencer != null) {
                sequencer.close();
            }
            declaring.close();
        } finally {
            dataSource.close();
        }
    }
}
