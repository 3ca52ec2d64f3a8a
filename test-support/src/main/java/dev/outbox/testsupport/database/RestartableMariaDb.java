package dev.outbox.testsupport.database;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A private MariaDB server that the test owns and may crash and restart: {@code mariadb-install-db}
 * on a temporary directory, {@code mariadbd} on a free port of 127.0.0.1, user {@code root}
 * without password, database {@code test}.
 *
 * <pre>{@code
 * try (RestartableMariaDb server = RestartableMariaDb.launch()) {
 *     TestSchema schema = server.createSchema("my-test");   // pools survive restarts
 *     server.restart();                                     // SIGKILL mariadbd + start
 * }
 * }</pre>
 *
 * <p>Binaries: {@code mariadbd} and {@code mariadb-install-db} from {@code OUTBOX_TEST_MARIADB_BIN}
 * (or system property {@code outbox.test.mariadb.bin}), else {@code /usr/sbin} and {@code
 * /usr/bin}. The server runs as the JVM's OS user ({@code --user=root} when that is root), with
 * {@code innodb_flush_log_at_trx_commit=2}: a commit is written to the operating system before it
 * returns, so a crash of the server process loses nothing, a crash of the machine may.
 *
 * <p>{@link #close()} (also from a shutdown hook) kills the server and deletes the directory; a
 * server left behind by a JVM that was killed is removed by the next {@link #launch()}. Thread-safe.
 */
public final class RestartableMariaDb extends PrivateServer<MySqlTestDatabase> {

    private static final String PRODUCT = "MariaDB";
    private static final String DIRECTORY_PREFIX = "outbox-restartable-mariadb-";

    private final Path server;
    private @Nullable Process process;

    private RestartableMariaDb(Path server, Path directory, int port) {
        super(PRODUCT, directory, port, "jdbc:mariadb://127.0.0.1:" + port + "/test?sslMode=disable");
        this.server = server;
    }

    /** Creates a data directory in a new temporary directory and starts the server on it. */
    public static RestartableMariaDb launch() {
        Path[] binaries = findBinaries();
        removeLeftovers(DIRECTORY_PREFIX, PRODUCT, RestartableMariaDb::killLeftover);
        Path directory = createDirectory(DIRECTORY_PREFIX, PRODUCT);
        return setUp(new RestartableMariaDb(binaries[0], directory, Commands.freePort()), mariaDb -> {
            Commands.run(
                    List.of(
                            binaries[1].toString(),
                            "--no-defaults",
                            "--datadir=" + mariaDb.data,
                            "--user=" + System.getProperty("user.name"),
                            "--auth-root-authentication-method=normal",
                            "--skip-test-db"),
                    TOOL_TIMEOUT);
            mariaDb.start();
        });
    }

    private Connection rootConnection() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "root");
        properties.setProperty("connectTimeout", "2000");
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port() + "/?sslMode=disable", properties);
    }

    @Override
    void startProcess() {
        try {
            process = new ProcessBuilder(
                            server.toString(),
                            "--no-defaults",
                            "--datadir=" + data,
                            "--port=" + port(),
                            "--bind-address=127.0.0.1",
                            "--socket=" + directory.resolve("mariadb.sock"),
                            "--pid-file=" + directory.resolve("mariadb.pid"),
                            "--user=" + System.getProperty("user.name"),
                            "--log-error=" + logFile,
                            "--skip-log-bin",
                            "--innodb-buffer-pool-size=64M",
                            "--innodb-flush-log-at-trx-commit=2",
                            "--max-connections=300",
                            "--character-set-server=utf8mb4",
                            "--collation-server=utf8mb4_unicode_ci")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            directory.resolve("stdout.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + server, e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("private MariaDB exited with code " + process.exitValue()
                        + " at start; its log ends with:\n" + Commands.tail(logFile, 30));
            }
            try (Connection connection = rootConnection()) {
                last = null;
                break;
            } catch (SQLException e) {
                last = e;
                try {
                    TimeUnit.MILLISECONDS.sleep(100); // polling a starting server: nothing to wait on
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while MariaDB started", interrupted);
                }
            }
        }
        if (last != null) {
            throw new IllegalStateException("private MariaDB did not accept connections within 120 s: "
                    + last.getMessage() + "; its log ends with:\n" + Commands.tail(logFile, 30));
        }
    }

    /** Creates the database {@code test} on the first start: the install skipped it. */
    @Override
    MySqlTestDatabase connect() {
        try (Connection connection = rootConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE IF NOT EXISTS test CHARACTER SET utf8mb4");
        } catch (SQLException e) {
            throw new IllegalStateException("private MariaDB started but refused a connection: " + e.getMessage(), e);
        }
        return new MySqlTestDatabase(url(), "root", null, "private restartable server, port " + port());
    }

    @Override
    void stopProcess(StopMode mode) {
        Process running = process;
        if (running == null) {
            return;
        }
        if (mode == StopMode.CRASH) {
            running.destroyForcibly(); // SIGKILL
        } else {
            running.destroy(); // SIGTERM: an orderly shutdown
        }
        try {
            if (!running.waitFor(120, TimeUnit.SECONDS)) {
                running.destroyForcibly();
                running.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while MariaDB stopped", e);
        }
        process = null;
    }

    @Override
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Kills the server a dead JVM left running on {@code directory}, if one runs. */
    private static void killLeftover(Path directory) {
        try {
            long pid = Long.parseLong(Files.readString(directory.resolve("mariadb.pid"), StandardCharsets.UTF_8)
                    .trim());
            ProcessHandle.of(pid)
                    .filter(p ->
                            p.info().command().map(c -> c.contains("mariadbd")).orElse(false))
                    .ifPresent(ProcessHandle::destroyForcibly);
        } catch (IOException | NumberFormatException ignored) {
            // no server ran
        }
    }

    private static Path[] findBinaries() {
        String configured = ServerLocator.setting("OUTBOX_TEST_MARIADB_BIN");
        List<Path> serverCandidates = configured != null
                ? List.of(Paths.get(configured, "mariadbd"))
                : List.of(Paths.get("/usr/sbin/mariadbd"), Paths.get("/usr/bin/mariadbd"));
        List<Path> installCandidates = configured != null
                ? List.of(Paths.get(configured, "mariadb-install-db"))
                : List.of(Paths.get("/usr/bin/mariadb-install-db"), Paths.get("/usr/sbin/mariadb-install-db"));
        Path serverBinary = serverCandidates.stream()
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
        Path install = installCandidates.stream()
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
        if (serverBinary == null || install == null) {
            throw new IllegalStateException("no MariaDB server binaries (mariadbd, mariadb-install-db) for a private,"
                    + " restartable server; tried " + serverCandidates + " and " + installCandidates
                    + ". Install the server package (Debian: mariadb-server) or set OUTBOX_TEST_MARIADB_BIN to the"
                    + " directory that holds both");
        }
        return new Path[] {serverBinary, install};
    }
}
