package dev.outbox.testsupport.history;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.conformance.OutboxFixture;
import dev.outbox.testkit.database.TestDatabase;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The history test every database module runs through one subclass that names its fixture ({@code
 * @ConformanceFixture(PostgresFixture.class) class PostgresHistoryTest extends HistoryTestBase {}}):
 * a {@link HistoryRun} of the size {@link RunOptions#fromSystemProperties()} chooses (CI size by
 * default, a soak with {@code -Dsoak.minutes=N}), which must end with zero violations. The summary
 * table is logged and written to {@code target/outbox-history/<test class>.md}.
 *
 * <p>The run's server is the fixture's private, restartable one (server restarts are among the
 * faults), started once per class and closed after it, even when the test fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HistoryTestBase {

    private static final Logger LOG = LoggerFactory.getLogger(HistoryTestBase.class);

    private TestDatabase database;

    /** The fixture named by the subclass's {@link dev.outbox.testkit.conformance.ConformanceFixture}. */
    protected OutboxFixture fixture() {
        return OutboxFixture.namedBy(getClass());
    }

    /** The server to run on: a {@code RestartableDatabase} adds server restarts to the faults. */
    protected TestDatabase startDatabase() {
        return fixture().launchRestartableServer();
    }

    /** The dialect under test. */
    protected OutboxDialect dialect() {
        return fixture().dialect();
    }

    /** The size of the run; default {@link RunOptions#fromSystemProperties()}. */
    protected RunOptions options() {
        return RunOptions.fromSystemProperties();
    }

    @BeforeAll
    void startServer() {
        database = startDatabase();
    }

    @AfterAll
    void stopServer() throws Exception {
        if (database instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    @Test
    void shouldLoseNothingInventNothingAndKeepCommitOrderUnderConcurrencyAndFaults() throws Exception {
        RunResult result = HistoryRun.run(database, dialect(), options());

        String text = result.summary().table()
                + (result.report().ok() ? "" : "\n" + result.report().describeViolations() + "\n");
        LOG.info("history run of {}:\n{}", getClass().getSimpleName(), text);
        write(text);
        printToConsole(text);
        result.report().assertNoViolations();
    }

    /**
     * Surefire sends the test's {@code System.out} to a report file; the summary of a run should be
     * on the console of whoever ran it, so it goes to the JVM's own standard error as well.
     */
    @SuppressWarnings("DefaultCharset")
    private static void printToConsole(String text) {
        PrintStream console = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        console.println();
        console.println(text);
        console.flush();
    }

    private void write(String text) throws IOException {
        Path directory = Paths.get("target", "outbox-history");
        Files.createDirectories(directory);
        Files.writeString(directory.resolve(getClass().getSimpleName() + ".md"), text, StandardCharsets.UTF_8);
    }
}
