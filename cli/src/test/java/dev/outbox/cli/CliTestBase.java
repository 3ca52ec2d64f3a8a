package dev.outbox.cli;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.StartPosition;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.RecordingHandler;
import dev.outbox.testkit.database.SchemaSql;
import dev.outbox.testkit.database.TestSchema;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/**
 * Base of the tool's tests on a database: a fresh schema per class, made by the real migration; each
 * test starts with an empty outbox; relays closed after each test, even when it fails; and {@link
 * #outbox(String...)}, which runs the tool in this JVM through picocli with the test schema's
 * connection options and captures what it prints.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CliTestBase {

    protected static final Duration TIMEOUT = Duration.ofSeconds(30);

    protected TestSchema schema;
    protected OutboxTables tables;
    protected DataSource dataSource;
    protected OutboxWriter writer;
    private final List<AutoCloseable> closeAfterTest = new CopyOnWriteArrayList<>();

    /** The database the tests of the subclass run on. */
    protected abstract TestDatabases database();

    protected final OutboxDialect dialect() {
        return database().dialect();
    }

    @BeforeAll
    void createSchema() throws IOException {
        Files.deleteIfExists(Path.of("target", "cli-transcripts", getClass().getSimpleName() + ".txt"));
        schema = database().server().createSchema(getClass().getSimpleName());
        tables = schema.tables();
        dataSource = schema.dataSource();
        OutboxMigrations.migrate(dataSource, tables);
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
        new SchemaSql(dataSource, dialect(), schema.name()).emptyOutbox(tables);
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

    /** What one run of the tool did. */
    record Result(int exitCode, String out, String err) {
        /** Both streams, for assertions that something appears in neither. */
        String all() {
            return out + err;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Runs {@code outbox ARGS} on the test schema: its URL, user and schema appended; not on a terminal. */
    protected Result outbox(String... args) {
        return outboxWith(Map.of(), args);
    }

    /**
     * Runs {@code outbox ARGS} with {@code environment} (OUTBOX_PASSWORD...) and the test schema's
     * connection options appended, unless the arguments give {@code --jdbc-url} themselves.
     */
    protected Result outboxWith(Map<String, String> environment, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        Map<String, String> env = new HashMap<>(environment);
        boolean helpOnly = all.contains("--help");
        if (!all.contains("--jdbc-url") && !helpOnly) {
            all.addAll(List.of("--jdbc-url", database().jdbcUrl(schema), "--schema", schema.name()));
            if (!all.contains("--user")) {
                all.addAll(List.of("--user", database().adminUser()));
                String password = database().adminPassword();
                if (password != null) {
                    env.putIfAbsent(ConnectionOptions.PASSWORD_VARIABLE, password);
                }
            }
        }
        Result result = run(env, all.toArray(String[]::new));
        transcribe(args, result);
        return result;
    }

    /**
     * Appends the run to target/cli-transcripts/CLASS.txt: what the README's examples are copied
     * from. The connection options the base class added are shown as {@code ...}.
     */
    private void transcribe(String[] args, Result result) {
        Path file = Path.of("target", "cli-transcripts", getClass().getSimpleName() + ".txt");
        StringBuilder entry = new StringBuilder("$ outbox ").append(String.join(" ", args));
        if (!Arrays.asList(args).contains("--jdbc-url") && !Arrays.asList(args).contains("--help")) {
            entry.append(" ...");
        }
        entry.append(System.lineSeparator()).append(result.out());
        if (!result.err().isEmpty()) {
            entry.append("[stderr]").append(System.lineSeparator()).append(result.err());
        }
        entry.append("[exit ").append(result.exitCode()).append(']').append(System.lineSeparator());
        entry.append(System.lineSeparator());
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(
                    file, entry, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the tool exactly with {@code args}. */
    protected static Result run(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliContext context = new CliContext(environment::get, false, prompt -> null, Clock.systemUTC());
        CommandLine commandLine = OutboxCli.commandLine(context);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Result(exitCode, out.toString(), err.toString());
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
        return startRelay(fastOptions(relayId).build(), customize);
    }

    protected OutboxRelay startRelay(RelayOptions options, Consumer<OutboxRelay.Builder> customize) {
        OutboxRelay.Builder builder =
                OutboxRelay.builder(dataSource, dialect()).tables(tables).options(options);
        customize.accept(builder);
        return closeAfterTest(builder.build()).start();
    }

    /** A relay that is not started, for reading what the database holds. */
    protected OutboxRelay reader() {
        return closeAfterTest(
                OutboxRelay.builder(dataSource, dialect()).tables(tables).build());
    }

    protected void appendCommitted(OutboxEvent... events) {
        writer.inTransaction(dataSource, tx -> {
            tx.append(events);
            return null;
        });
    }

    /** {@code count} events {@code order/o-<i>}, OrderPlaced, payload {"n":i}, from i = {@code first}. */
    protected void appendOrders(int first, int count) {
        OutboxEvent[] events = new OutboxEvent[count];
        for (int i = 0; i < count; i++) {
            int n = first + i;
            events[i] = OutboxEvent.of("order", "o-" + n, "OrderPlaced", "{\"n\":" + n + "}");
        }
        appendCommitted(events);
    }

    /**
     * A consumer 'retired' that a relay registered once and no relay runs any more (its row holds
     * retention back), and a running relay with a consumer 'active' and a retention of 1 ms that has
     * handled {@code events} new events; returns that relay, its log still whole from seq 1.
     */
    protected OutboxRelay relayHeldBackByARetiredConsumer(int events) {
        try (OutboxRelay first = OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(fastOptions("relay-a").build())
                .consumer(OutboxConsumer.atLeastOnce("retired", new RecordingHandler())
                        .startFrom(StartPosition.BEGINNING)
                        .build())
                .build()
                .start()) {
            await().atMost(TIMEOUT)
                    .until(() -> !first.status("retired").partitions().isEmpty());
        }
        OutboxRelay relay = startRelay(
                fastOptions("relay-b")
                        .logRetention(Duration.ofMillis(1))
                        .retentionInterval(Duration.ofMillis(50))
                        .build(),
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("active", new RecordingHandler())
                        .startFrom(StartPosition.BEGINNING)
                        .build()));
        appendOrders(1, events);
        await().atMost(TIMEOUT).until(() -> relay.status("active").checkpoint() == events);
        assertThat(relay.log().lowestRetained()).isEqualTo(1);
        return relay;
    }
}
