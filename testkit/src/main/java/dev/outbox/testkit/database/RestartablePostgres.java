package dev.outbox.testkit.database;

import dev.outbox.OutboxTables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private PostgreSQL server that the test owns and may crash and restart: {@code initdb} on a
 * temporary directory, {@code pg_ctl start} on a free port of 127.0.0.1, user {@code postgres}
 * without password, database {@code postgres}.
 *
 * <pre>{@code
 * try (RestartablePostgres server = RestartablePostgres.launch()) {
 *     TestSchema schema = server.createSchema("my-test");   // pools survive restarts
 *     ...
 *     server.restart();                                     // crash (pg_ctl -m immediate) + start
 *     server.stop(StopMode.CRASH); ...; server.start();     // keep it down for a while
 * }
 * }</pre>
 *
 * <p>Binaries: {@code OUTBOX_TEST_POSTGRES_BIN} (or system property {@code
 * outbox.test.postgres.bin}), else the newest {@code /usr/lib/postgresql/<version>/bin}, else the
 * directory {@code pg_config --bindir} names. PostgreSQL refuses to run as root: when the JVM is
 * root the tools run as OS user {@code postgres} through {@code runuser}. The server runs with
 * {@code fsync=off}, which loses nothing when the server process crashes (the operating system
 * keeps the written pages), only when the machine does.
 *
 * <p>{@link #close()} (also from a shutdown hook) stops the server and deletes the directory. A
 * server left behind by a JVM that was killed is stopped and deleted by the next {@link
 * #launch()}. Thread-safe.
 */
public final class RestartablePostgres implements RestartableDatabase {

    private static final Logger LOG = LoggerFactory.getLogger(RestartablePostgres.class);
    private static final String DIRECTORY_PREFIX = "outbox-restartable-pg-";
    private static final String OS_USER = "postgres";
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(120);

    private final Path binaries;
    private final Path directory;
    private final Path data;
    private final Path logFile;
    private final int port;
    private final String url;
    private final Thread shutdownHook;
    private @Nullable PostgresTestDatabase database;
    private boolean running;
    private boolean closed;
    private int starts;

    private RestartablePostgres(Path binaries, Path directory, int port) {
        this.binaries = binaries;
        this.directory = directory;
        this.data = directory.resolve("data");
        this.logFile = directory.resolve("server.log");
        this.port = port;
        this.url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        this.shutdownHook = new Thread(this::closeQuietly, "restartable-postgres-cleanup");
    }

    /** Creates a cluster in a new temporary directory and starts it. */
    public static RestartablePostgres launch() {
        Path binaries = findBinaries();
        removeLeftovers(binaries);
        Path directory;
        try {
            directory = Files.createTempDirectory(DIRECTORY_PREFIX);
            Files.writeString(
                    directory.resolve("owner.pid"),
                    Long.toString(ProcessHandle.current().pid()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for a private PostgreSQL server", e);
        }
        RestartablePostgres server = new RestartablePostgres(binaries, directory, Commands.freePort());
        Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        try {
            if (Commands.runningAsRoot()) {
                Commands.run(List.of("chown", "-R", OS_USER + ":", directory.toString()), TOOL_TIMEOUT);
            }
            Commands.run(
                    Commands.asUser(
                            OS_USER,
                            List.of(
                                    binaries.resolve("initdb").toString(),
                                    "-D",
                                    server.data.toString(),
                                    "-U",
                                    "postgres",
                                    "-A",
                                    "trust",
                                    "-E",
                                    "UTF8",
                                    "--locale=C",
                                    "--no-sync")),
                    TOOL_TIMEOUT);
            server.start();
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    @Override
    public synchronized void start() {
        requireOpen();
        if (running) {
            return;
        }
        String options = "-p " + port + " -k " + directory + " -c listen_addresses=127.0.0.1 -c fsync=off"
                + " -c synchronous_commit=on -c max_connections=200 -c shared_buffers=64MB";
        try {
            Commands.run(
                    Commands.asUser(
                            OS_USER,
                            List.of(
                                    binaries.resolve("pg_ctl").toString(),
                                    "-D",
                                    data.toString(),
                                    "-l",
                                    logFile.toString(),
                                    "-o",
                                    options,
                                    "-w",
                                    "-t",
                                    "120",
                                    "start")),
                    TOOL_TIMEOUT);
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "private PostgreSQL did not start; its log ends with:\n" + Commands.tail(logFile, 30), e);
        }
        running = true;
        starts++;
        if (database == null) {
            database = new PostgresTestDatabase(url, "postgres", null, "private restartable server, port " + port);
        }
        LOG.info("private PostgreSQL on port {} started (start #{})", port, starts);
    }

    @Override
    public synchronized void stop(StopMode mode) {
        if (!running) {
            return;
        }
        Commands.run(
                Commands.asUser(
                        OS_USER,
                        List.of(
                                binaries.resolve("pg_ctl").toString(),
                                "-D",
                                data.toString(),
                                "-m",
                                mode == StopMode.CRASH ? "immediate" : "fast",
                                "-w",
                                "-t",
                                "120",
                                "stop")),
                TOOL_TIMEOUT);
        running = false;
        LOG.info("private PostgreSQL on port {} stopped ({})", port, mode);
    }

    @Override
    public synchronized boolean isRunning() {
        return running;
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

    /** The server's own log file, for diagnosis. */
    public Path logFile() {
        return logFile;
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

    /** The server as a {@link PostgresTestDatabase}: admin connections, statements as superuser. */
    public synchronized PostgresTestDatabase database() {
        requireOpen();
        if (database == null) {
            throw new IllegalStateException("private PostgreSQL was never started");
        }
        return database;
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
            LOG.warn("could not stop private PostgreSQL on port {}", port, e);
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
            throw new IllegalStateException("private PostgreSQL on port " + port + " was closed");
        }
    }

    /** Stops and deletes servers of JVMs that died without closing theirs. */
    private static void removeLeftovers(Path binaries) {
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> candidates = Files.newDirectoryStream(tmp, DIRECTORY_PREFIX + "*")) {
            for (Path candidate : candidates) {
                Path owner = candidate.resolve("owner.pid");
                long pid;
                try {
                    pid = Long.parseLong(
                            Files.readString(owner, StandardCharsets.UTF_8).trim());
                } catch (IOException | NumberFormatException e) {
                    continue;
                }
                if (Commands.alive(pid)) {
                    continue;
                }
                LOG.warn("removing the private PostgreSQL left behind by dead JVM {} in {}", pid, candidate);
                if (Files.exists(candidate.resolve("data").resolve("postmaster.pid"))) {
                    try {
                        Commands.run(
                                Commands.asUser(
                                        OS_USER,
                                        List.of(
                                                binaries.resolve("pg_ctl").toString(),
                                                "-D",
                                                candidate.resolve("data").toString(),
                                                "-m",
                                                "immediate",
                                                "-w",
                                                "stop")),
                                TOOL_TIMEOUT);
                    } catch (RuntimeException e) {
                        LOG.warn("could not stop the left-over server in {}", candidate, e);
                    }
                }
                Commands.deleteRecursively(candidate);
            }
        } catch (IOException e) {
            LOG.warn("could not look for left-over private servers in {}", tmp, e);
        }
    }

    private static Path findBinaries() {
        String configured = ServerLocator.setting("OUTBOX_TEST_POSTGRES_BIN");
        List<Path> candidates = new ArrayList<>();
        if (configured != null) {
            candidates.add(Paths.get(configured));
        } else {
            Path root = Paths.get("/usr/lib/postgresql");
            if (Files.isDirectory(root)) {
                try (Stream<Path> versions = Files.list(root)) {
                    versions.map(version -> version.resolve("bin"))
                            .sorted(Comparator.comparing((Path bin) -> majorVersion(bin.getParent()))
                                    .reversed())
                            .forEach(candidates::add);
                } catch (IOException ignored) {
                    // fall through to pg_config
                }
            }
            try {
                candidates.add(Paths.get(Commands.run(List.of("pg_config", "--bindir"), Duration.ofSeconds(10))
                        .trim()));
            } catch (RuntimeException ignored) {
                // no pg_config on the PATH
            }
        }
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate.resolve("initdb")) && Files.isExecutable(candidate.resolve("pg_ctl"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no PostgreSQL server binaries (initdb, pg_ctl) for a private, restartable"
                + " server; tried " + candidates + ". Install the server package (Debian: postgresql) or set"
                + " OUTBOX_TEST_POSTGRES_BIN to the directory that holds initdb and pg_ctl");
    }

    private static int majorVersion(Path versionDirectory) {
        try {
            return Integer.parseInt(versionDirectory.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
