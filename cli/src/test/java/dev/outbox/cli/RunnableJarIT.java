package dev.outbox.cli;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.ConsumerStatus;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import dev.outbox.testkit.RecordingHandler;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar that {@code package} built (target/outbox-cli.jar, the MariaDB driver beside it in
 * target/lib), run as a real process on MariaDB, which checks passwords: a user with a password made
 * for the test logs in through {@code OUTBOX_PASSWORD}, and that password must appear in no output
 * and not in the process's command line. Runs in the integration-test phase ({@code mvn -pl cli
 * verify}).
 */
class RunnableJarIT extends CliTestBase {

    private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(60);

    private final Path jar = Path.of(System.getProperty("outbox.cli.jar", "target/outbox-cli.jar"));
    private final Path launcher = Path.of(System.getProperty("outbox.cli.launcher", "src/main/dist/outbox"));
    private TestDatabases.Login login;
    /** Everything every process printed, searched for the password at the end. */
    private final List<String> allOutput = new CopyOnWriteArrayList<>();

    @Override
    protected TestDatabases database() {
        return TestDatabases.MARIADB;
    }

    @BeforeAll
    void createLogin() {
        assertThat(jar)
                .as("the runnable jar: run `mvn -pl cli verify`, which builds it in package before this test")
                .isRegularFile();
        login = database().createLogin(schema);
    }

    @AfterAll
    void noOutputHeldThePassword() {
        assertThat(allOutput).isNotEmpty().noneMatch(output -> output.contains(login.password()));
    }

    @Test
    void theJarHoldsThePostgresDriverAndLoadsTheMySqlAndMariaDbDriversFromLib() throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            assertThat(file.getEntry("org/postgresql/Driver.class")).isNotNull();
            assertThat(file.getEntry("dev/outbox/cli/OutboxCli.class")).isNotNull();
            assertThat(file.stream().map(entry -> entry.getName()))
                    .noneMatch(name -> name.startsWith("org/mariadb/") || name.startsWith("com/mysql/"));
            assertThat(file.getManifest().getMainAttributes().getValue("Class-Path"))
                    .isEqualTo("lib/mariadb-java-client.jar lib/mysql-connector-j.jar");
        }
        assertThat(jar.resolveSibling("lib/mariadb-java-client.jar")).isRegularFile();
    }

    @Test
    void theLauncherRunsTheJarBesideIt(@TempDir Path directory) throws Exception {
        // The launcher beside the jar, reached through a symbolic link from elsewhere (a bin directory).
        Path copy = jar.resolveSibling("outbox");
        Files.copy(launcher, copy, StandardCopyOption.REPLACE_EXISTING);
        assertThat(copy.toFile().setExecutable(true)).isTrue();
        Path link = Files.createSymbolicLink(directory.resolve("outbox"), copy.toAbsolutePath());

        Result version = process(List.of(link.toString()), Map.of(), "--version");
        assertThat(version.exitCode()).as(version.toString()).isZero();
        assertThat(version.out()).startsWith("outbox 0.");
    }

    @Test
    void statusExitsZeroWhenHealthyOneWhenBlockedTwoWhenUnreachable() throws Exception {
        OutboxRelay relay = startRelay(
                "relay-a",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("projection", new RecordingHandler())
                                .startFrom(StartPosition.BEGINNING)
                                .build())
                        .consumer(OutboxConsumer.atLeastOnce("billing", batch -> {
                                    throw new IllegalStateException("downstream rejected the order");
                                })
                                .startFrom(StartPosition.HEAD)
                                .failurePolicy(FailurePolicy.BLOCK)
                                .retryPolicy(RetryPolicy.of(Duration.ofMillis(10), Duration.ofMillis(10), 1))
                                .build()));
        await().atMost(TIMEOUT)
                .until(() ->
                        relay.status().stream().allMatch(status -> status.state() == ConsumerStatus.State.RUNNING));

        Result healthy = outboxJar("status");
        assertThat(healthy.exitCode()).as(healthy.toString()).isZero();
        assertThat(healthy.out()).contains("projection").contains("billing").contains("healthy");

        appendOrders(1, 2);
        await().atMost(TIMEOUT).until(() -> relay.status("billing").state() == ConsumerStatus.State.BLOCKED);
        Result blocked = outboxJar("status", "--json");
        assertThat(blocked.exitCode()).as(blocked.toString()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(blocked.out())
                .startsWith("{\"healthy\":false,\"problems\":[\"consumer 'billing' is blocked at seq 1");

        String wrongPort = database().jdbcUrl(schema).replaceFirst(":\\d+/", ":1/");
        Result unreachable = process(
                java(),
                Map.of(ConnectionOptions.PASSWORD_VARIABLE, login.password()),
                "status",
                "--jdbc-url",
                wrongPort,
                "--user",
                login.user());
        assertThat(unreachable.exitCode()).as(unreachable.toString()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(unreachable.err()).startsWith("status: cannot connect to " + wrongPort);

        Result wrongPassword = process(
                java(), Map.of(ConnectionOptions.PASSWORD_VARIABLE, login.password() + "-wrong"), connected("status"));
        assertThat(wrongPassword.exitCode()).as(wrongPassword.toString()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(wrongPassword.err()).contains("Access denied for user '" + login.user() + "'");
    }

    @Test
    void resetChangesNothingWithoutExecuteAndMovesTheCheckpointWithIt() throws Exception {
        try (OutboxRelay relay = OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(fastOptions("relay-a").build())
                .consumer(OutboxConsumer.atLeastOnce("projection", new RecordingHandler())
                        .startFrom(StartPosition.BEGINNING)
                        .build())
                .build()
                .start()) {
            appendOrders(1, 5);
            await().atMost(TIMEOUT).until(() -> relay.status("projection").checkpoint() == 5);
        }

        Result dryRun = outboxJar("reset", "projection", "--to-seq", "2");
        assertThat(dryRun.exitCode()).as(dryRun.toString()).isZero();
        assertThat(dryRun.out())
                .contains("checkpoint 5 -> 1: replays 4 entries")
                .contains("dry run");
        assertThat(reader().status("projection").checkpoint()).isEqualTo(5);

        Result executed = outboxJar("reset", "projection", "--to-seq", "2", "--execute");
        assertThat(executed.exitCode()).as(executed.toString()).isZero();
        assertThat(reader().status("projection").checkpoint()).isEqualTo(1);
    }

    @Test
    void aDeadLetterIsRedrivenToTheRelayThatRunsTheConsumer() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        List<Long> delivered = new CopyOnWriteArrayList<>();
        OutboxRelay relay = startRelay(
                "relay-a",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("mailer", batch -> {
                            for (OutboxRecord record : batch) {
                                if (record.seq() == 2 && failing.get()) {
                                    throw new IllegalStateException("mail server said no");
                                }
                            }
                            batch.forEach(record -> delivered.add(record.seq()));
                        })
                        .startFrom(StartPosition.BEGINNING)
                        .batchSize(1)
                        .failurePolicy(FailurePolicy.PARK)
                        .retryPolicy(RetryPolicy.of(Duration.ofMillis(10), Duration.ofMillis(10), 1))
                        .build()));
        appendOrders(1, 3);
        await().atMost(TIMEOUT).until(() -> relay.status("mailer").parkedCount() == 1);

        failing.set(false);
        Result redriven = outboxJar("dead-letters", "redrive", "mailer", "2", "--wait");
        assertThat(redriven.exitCode()).as(redriven.toString()).isZero();
        assertThat(redriven.out()).contains("delivered 1 of 1");
        assertThat(delivered).containsExactly(1L, 3L, 2L);
    }

    @Test
    void deletingARetiredConsumerLetsRetentionMoveOn() throws Exception {
        OutboxRelay relay = relayHeldBackByARetiredConsumer(4);

        Result deleted = outboxJar("consumers", "delete", "retired");
        assertThat(deleted.exitCode()).as(deleted.toString()).isZero();
        await().atMost(TIMEOUT).until(() -> relay.log().lowestRetained() == 5);
    }

    @Test
    void thePasswordIsNotInTheProcesssCommandLine() throws Exception {
        startRelay("relay-a", builder -> {});
        List<String> command = new ArrayList<>(java());
        command.addAll(Arrays.asList(connected("tail", "--follow", "--interval", "100ms")));
        File output = File.createTempFile("outbox-cli", ".out");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output);
        builder.environment().put(ConnectionOptions.PASSWORD_VARIABLE, login.password());
        Process process = builder.start();
        try {
            // Its command line as every user of the machine sees it (ps, /proc/PID/cmdline).
            String cmdline = Files.readString(Path.of("/proc/" + process.pid() + "/cmdline"), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
            assertThat(cmdline).contains("tail --follow").doesNotContain(login.password());
            assertThat(process.info().arguments().map(Arrays::asList).orElse(List.of()))
                    .noneMatch(argument -> argument.contains(login.password()));
            assertThat(process.waitFor(500, TimeUnit.MILLISECONDS))
                    .as("still following")
                    .isFalse();
        } finally {
            process.destroy();
            assertThat(process.waitFor(PROCESS_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
            allOutput.add(Files.readString(output.toPath(), StandardCharsets.UTF_8));
            Files.delete(output.toPath());
        }
    }

    /** {@code java -jar target/outbox-cli.jar ARGS} with the test schema, as the test's user, its password in OUTBOX_PASSWORD. */
    private Result outboxJar(String... args) throws Exception {
        return process(java(), Map.of(ConnectionOptions.PASSWORD_VARIABLE, login.password()), connected(args));
    }

    private String[] connected(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(
                List.of("--jdbc-url", database().jdbcUrl(schema), "--schema", schema.name(), "--user", login.user()));
        return all.toArray(String[]::new);
    }

    private List<String> java() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString());
    }

    private Result process(List<String> program, Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>(program);
        command.addAll(Arrays.asList(args));
        File out = File.createTempFile("outbox-cli", ".out");
        File err = File.createTempFile("outbox-cli", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(out)
                    .redirectError(err)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().keySet().removeIf(name -> name.startsWith("OUTBOX_"));
            builder.environment().putAll(environment);
            Process process = builder.start();
            if (!process.waitFor(PROCESS_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("outbox " + String.join(" ", args) + " did not end within " + PROCESS_TIMEOUT);
            }
            Result result = new Result(
                    process.exitValue(),
                    Files.readString(out.toPath(), StandardCharsets.UTF_8),
                    Files.readString(err.toPath(), StandardCharsets.UTF_8));
            allOutput.add(result.all());
            return result;
        } finally {
            Files.deleteIfExists(out.toPath());
            Files.deleteIfExists(err.toPath());
        }
    }
}
