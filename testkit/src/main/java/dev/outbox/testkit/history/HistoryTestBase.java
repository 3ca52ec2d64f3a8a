package dev.outbox.testkit.history;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.TestDatabase;
import java.io.IOException;
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
 * The history test every database module runs through one subclass: a {@link HistoryRun} of the
 * size {@link RunOptions#fromSystemProperties()} chooses (CI size by default, a soak with {@code
 * -Dsoak.minutes=N}), which must end with zero violations. The summary table is logged and written
 * to {@code target/outbox-history/<test class>.md}.
 *
 * <p>The database is started once per class by {@link #startDatabase()} and, when it is {@link
 * AutoCloseable} (a private server), closed after the class, even when the test fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HistoryTestBase {

    private static final Logger LOG = LoggerFactory.getLogger(HistoryTestBase.class);

    private TestDatabase database;

    /** The server to run on: a {@code RestartableDatabase} adds server restarts to the faults. */
    protected abstract TestDatabase startDatabase();

    /** The dialect under test. */
    protected abstract OutboxDialect dialect();

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
        java.io.PrintStream console = new java.io.PrintStream(
                new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
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
