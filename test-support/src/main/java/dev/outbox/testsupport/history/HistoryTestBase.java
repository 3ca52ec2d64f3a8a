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

    /** Partitions of the split run when {@code history.partitions} does not say. */
    static final int SPLIT_PARTITIONS = 8;

    @Test
    void shouldLoseNothingInventNothingAndKeepCommitOrderUnderConcurrencyAndFaults() throws Exception {
        run(options().withPartitions(1), "");
    }

    /**
     * The same run with the projection and the recorder split into partitions ({@code
     * history.partitions}, default {@value #SPLIT_PARTITIONS}) that the relays share: each key in
     * order, the transactional consumer exactly once, every redelivery explained by a fault, per
     * partition, through every fault of the relays and the server. Without the handler faults: their
     * consumers are not split (the other run has them), and on two cores their re-drives did not
     * drain in time next to 32 partition loops (measured: 3,000 letters of the PARK_KEY consumer open
     * after the drain timeout; again on MariaDB after the bisection fix of 2026-12-03: 10,516 of the
     * PARK_KEY consumer and 1,908 of its transactional twin, where the run without partitions parks
     * about 2,500 in all). {@code -Dhistory.handlerFaults=true} adds them (a soak's 256 keys let
     * their re-drives drain).
     */
    @Test
    void shouldKeepEveryGuaranteeWithTheConsumersSplitIntoPartitionsThroughTheSameFaults() throws Exception {
        RunOptions options = options();
        run(
                options.withPartitions(options.partitions() > 1 ? options.partitions() : SPLIT_PARTITIONS)
                        .withHandlerFaults(handlerFaultsAskedFor()),
                "-split");
    }

    /**
     * The split run with the relays in three child JVMs ({@code history.relayProcesses}) sharing the
     * partitions, through a SIGKILL mid-batch and a relay joining, a SIGSTOP past the lease and a
     * SIGCONT, and a rolling restart: on top of every guarantee, each committed transactional batch
     * was its partition's owner's under the epoch the row held, and the summary has the takeover
     * times and the partitions moved. Without the handler faults unless asked for, as the split run.
     */
    @Test
    void shouldKeepEveryGuaranteeWithThreeRelayProcessesSharingThePartitions() throws Exception {
        RunOptions options = options();
        run(
                options.withPartitions(options.partitions() > 1 ? options.partitions() : SPLIT_PARTITIONS)
                        .withHandlerFaults(handlerFaultsAskedFor())
                        .withRelayProcesses(options.relayProcesses() > 0 ? options.relayProcesses() : 3),
                "-processes");
    }

    /** The split runs have the handler faults only when {@code history.handlerFaults=true} says so. */
    private static boolean handlerFaultsAskedFor() {
        return Boolean.parseBoolean(System.getProperty("history.handlerFaults"));
    }

    private void run(RunOptions options, String suffix) throws Exception {
        RunResult result = HistoryRun.run(database, dialect(), options);

        String text = "partitions of the projection and the recorder: " + options.partitions() + "\n\n"
                + result.summary().table()
                + (result.report().ok() ? "" : "\n" + result.report().describeViolations() + "\n");
        LOG.info("history run of {}{}:\n{}", getClass().getSimpleName(), suffix, text);
        write(text, suffix);
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

    private void write(String text, String suffix) throws IOException {
        Path directory = Paths.get("target", "outbox-history");
        Files.createDirectories(directory);
        Files.writeString(directory.resolve(getClass().getSimpleName() + suffix + ".md"), text, StandardCharsets.UTF_8);
    }
}
