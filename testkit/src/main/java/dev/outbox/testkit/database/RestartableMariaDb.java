package dev.outbox.testkit.database;

import dev.outbox.OutboxTables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
public final class RestartableMariaDb implements RestartableDatabase {

    private static final Logger LOG = LoggerFactory.getLogger(RestartableMariaDb.class);
    private static final String DIRECTORY_PREFIX = "outbox-restartable-mariadb-";
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(120);

    private final Path server;
    private final Path directory;
    private final Path data;
    private final Path logFile;
    private final int port;
    private final String url;
    private final Thread shutdownHook;
    private @Nullable Process process;
    private @Nullable MySqlTestDatabase database;
    private boolean closed;
    private int starts;

    private RestartableMariaDb(Path server, Path directory, int port) {
        this.server = server;
        this.directory = directory;
        this.data = directory.resolve("data");
        this.logFile = directory.resolve("server.log");
        this.port = port;
        this.url = "jdbc:mariadb://127.0.0.1:" + port + "/test?sslMode=disable";
        this.shutdownHook = new Thread(this::closeQuietly, "restartable-mariadb-cleanup");
    }

    /** Creates a data directory in a new temporary directory and starts the server on it. */
    public static RestartableMariaDb launch() {
        Path[] binaries = findBinaries();
        removeLeftovers();
        Path directory;
        try {
            directory = Files.createTempDirectory(DIRECTORY_PREFIX);
            Files.writeString(
                    directory.resolve("owner.pid"),
                    Long.toString(ProcessHandle.current().pid()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for a private MariaDB server", e);
        }
        RestartableMariaDb mariaDb = new RestartableMariaDb(binaries[0], directory, Commands.freePort());
        Runtime.getRuntime().addShutdownHook(mariaDb.shutdownHook);
        try {
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
            try (Connection connection = mariaDb.rootConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute("CREATE DATABASE IF NOT EXISTS test CHARACTER SET utf8mb4");
            }
            mariaDb.database = new MySqlTestDatabase(
                    mariaDb.url, "root", null, "private restartable server, port " + mariaDb.port);
            return mariaDb;
        } catch (SQLException e) {
            mariaDb.close();
            throw new IllegalStateException("private MariaDB started but refused a connection: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            mariaDb.close();
            throw e;
        }
    }

    private Connection rootConnection() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "root");
        properties.setProperty("connectTimeout", "2000");
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/?sslMode=disable", properties);
    }

    @Override
    public synchronized void start() {
        requireOpen();
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            process = new ProcessBuilder(
                            server.toString(),
                            "--no-defaults",
                            "--datadir=" + data,
                            "--port=" + port,
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
        starts++;
        LOG.info("private MariaDB on port {} started (start #{})", port, starts);
    }

    @Override
    public synchronized void stop(StopMode mode) {
        Process running = process;
        if (running == null || !running.isAlive()) {
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
        LOG.info("private MariaDB on port {} stopped ({})", port, mode);
    }

    @Override
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public synchronized int starts() {
        return starts;
    }

    @Override
    public String url() {
        return url;
    }

    /** The port the server listens on (127.0.0.1). */
    public int port() {
        return port;
    }

    /** The server's error log, for diagnosis. */
    public Path logFile() {
        return logFile;
    }

    /** The server as a {@link MySqlTestDatabase}. */
    public synchronized MySqlTestDatabase database() {
        requireOpen();
        if (database == null) {
            throw new IllegalStateException("private MariaDB was never started");
        }
        return database;
    }

    @Override
    public String description() {
        return database().description();
    }

    @Override
    public TestSchema createSchema(String hint) {
        return database().createSchema(hint);
    }

    @Override
    public DataSource insertOnlyDataSource(TestSchema schema, OutboxTables tables) {
        return database().insertOnlyDataSource(schema, tables);
    }

    @Override
    public void killConnections(TestSchema schema) {
        database().killConnections(schema);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop(StopMode.CRASH);
        } catch (RuntimeException e) {
            LOG.warn("could not stop private MariaDB on port {}", port, e);
        } finally {
            Commands.deleteRecursively(directory);
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // the JVM is shutting down: this is the hook
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException ignored) {
            // the JVM is exiting
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("private MariaDB on port " + port + " was closed");
        }
    }

    /** Kills and deletes servers of JVMs that died without closing theirs. */
    private static void removeLeftovers() {
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> candidates = Files.newDirectoryStream(tmp, DIRECTORY_PREFIX + "*")) {
            for (Path candidate : candidates) {
                long owner;
                try {
                    owner = Long.parseLong(Files.readString(candidate.resolve("owner.pid"), StandardCharsets.UTF_8)
                            .trim());
                } catch (IOException | NumberFormatException e) {
                    continue;
                }
                if (Commands.alive(owner)) {
                    continue;
                }
                LOG.warn("removing the private MariaDB left behind by dead JVM {} in {}", owner, candidate);
                try {
                    long pid = Long.parseLong(Files.readString(candidate.resolve("mariadb.pid"), StandardCharsets.UTF_8)
                            .trim());
                    ProcessHandle.of(pid)
                            .filter(p -> p.info()
                                    .command()
                                    .map(c -> c.contains("mariadbd"))
                                    .orElse(false))
                            .ifPresent(ProcessHandle::destroyForcibly);
                } catch (IOException | NumberFormatException ignored) {
                    // no server ran
                }
                Commands.deleteRecursively(candidate);
            }
        } catch (IOException e) {
            LOG.warn("could not look for left-over private servers in {}", tmp, e);
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
