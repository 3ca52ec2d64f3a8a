package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.testkit.junit.OutboxExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A user's test of their own handler with the test kit's {@link OutboxExtension}, as the testkit
 * README quotes it: append in a business transaction, wait for the consumer, assert; no sleeps.
 */
class OutboxExtensionExampleTest {

    private static final OutboxTables TABLES = OutboxTables.of("extension_example", "outbox_");

    private static HikariDataSource dataSource;
    private static OutboxWriter writer;

    @BeforeAll
    static void createTables() throws Exception {
        ExampleServer server = ExampleServer.postgres().require();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(server.url());
        config.setUsername(server.user());
        server.password().ifPresent(config::setPassword);
        config.setMaximumPoolSize(6);
        dataSource = new HikariDataSource(config);
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS extension_example");
        }
        OutboxMigrations.migrate(dataSource, TABLES);
        writer = OutboxWriter.builder(PostgresDialect.create()).tables(TABLES).build();
    }

    @AfterAll
    static void closePool() {
        dataSource.close();
    }

    /** Stands for your derived system: what your handler under test keeps. */
    private final List<String> indexedOrders = new CopyOnWriteArrayList<>();

    // [readme:extension]
    @RegisterExtension
    final OutboxExtension outbox = OutboxExtension.on(() -> dataSource, PostgresDialect.create())
            .tables(TABLES)
            .consumer(OutboxConsumer.atLeastOnce(
                            "search", batch -> batch.forEach(event -> indexedOrders.add(event.aggregateId())))
                    .build())
            .recording("audit"); // records what it is handed, to assert on

    @Test
    void indexesEveryOrderPlaced() {
        OutboxEvent placed = OutboxEvent.of("order", "order-17", "OrderPlaced", "{\"total\":42}");
        // your service's business transaction
        writer.inTransaction(dataSource, tx -> {
            tx.append(placed);
            return null;
        });

        outbox.awaitConsumed("search"); // every event committed so far is handled, or it says where it is stuck

        assertThat(indexedOrders).contains("order-17");
        outbox.awaitConsumed("audit");
        assertThat(outbox.recorded("audit").records())
                .extracting(OutboxRecord::eventType)
                .contains("OrderPlaced");
        assertThat(outbox.deadLetters("search")).isEmpty();
    }
    // [readme:end]
}
