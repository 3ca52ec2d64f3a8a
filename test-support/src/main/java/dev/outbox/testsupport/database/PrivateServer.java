package dev.outbox.testsupport.database;

import dev.outbox.OutboxTables;
import dev.outbox.testkit.database.RestartableDatabase;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testkit.database.TestSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link RestartablePostgres} and {@link RestartableMariaDb} share: a server on a temporary
 * directory (data in {@code data/}, marked with the owning JVM's pid so that a later JVM can remove
 * it if this one is killed) and a free port, started and stopped by the subclass, deleted with its
 * directory by {@link #close()} or the shutdown hook. Thread-safe: lifecycle methods are
 * synchronized.
 *
 * @param <D> the server as a test database, once it has been started
 */
abstract class PrivateServer<D extends TestDatabase> implements RestartableDatabase {

    private static final Logger LOG = LoggerFactory.getLogger(PrivateServer.class);
    private static final String OWNER_FILE = "owner.pid";

    /** How long a server's command-line tool may run. */
    static final Duration TOOL_TIMEOUT = Duration.ofSeconds(120);

    /** The server's name in messages: {@code PostgreSQL}, {@code MariaDB}. */
    final String product;

    final Path directory;
    final Path data;
    final Path logFile;
    private final int port;
    private final String url;
    private final Thread shutdownHook;
    private @Nullable D database;
    private boolean closed;
    private int starts;

    PrivateServer(String product, Path directory, int port, String url) {
        this.product = product;
        this.directory = directory;
        this.data = directory.resolve("data");
        this.logFile = directory.resolve("server.log");
        this.port = port;
        this.url = url;
        this.shutdownHook = new Thread(this::closeQuietly, directory.getFileName() + "-cleanup");
    }

    /**
     * A new temporary directory for a server, marked as owned by this JVM. Call {@link
     * #removeLeftovers} with the same prefix first.
     */
    static Path createDirectory(String prefix, String product) {
        try {
            Path directory = Files.createTempDirectory(prefix);
            Files.writeString(
                    directory.resolve(OWNER_FILE),
                    Long.toString(ProcessHandle.current().pid()));
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for a private " + product + " server", e);
        }
    }

    /**
     * Registers the shutdown hook, then runs {@code setUp} (create the data, first start); if that
     * fails, closes the server, which deletes its directory, and rethrows.
     */
    static <S extends PrivateServer<?>> S setUp(S server, Consumer<S> setUp) {
        PrivateServer<?> base = server; // a type variable's members exclude the private ones
        Runtime.getRuntime().addShutdownHook(base.shutdownHook);
        try {
            setUp.accept(server);
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    /** Starts the server process on {@link #data}; returns when it accepts connections. */
    abstract void startProcess();

    /** Stops the running server process; returns when it has exited. */
    abstract void stopProcess(StopMode mode);

    /** The server as a test database, after its first start. */
    abstract D connect();

    @Override
    public final synchronized void start() {
        requireOpen();
        if (isRunning()) {
            return;
        }
        startProcess();
        starts++;
        if (database == null) {
            database = connect();
        }
        LOG.info("private {} on port {} started (start #{})", product, port, starts);
    }

    @Override
    public final synchronized void stop(StopMode mode) {
        if (!isRunning()) {
            return;
        }
        stopProcess(mode);
        LOG.info("private {} on port {} stopped ({})", product, port, mode);
    }

    @Override
    public final synchronized int starts() {
        return starts;
    }

    @Override
    public final String url() {
        return url;
    }

    /** The port the server listens on (127.0.0.1). */
    public final int port() {
        return port;
    }

    /** The server's own log file, for diagnosis. */
    public final Path logFile() {
        return logFile;
    }

    /** The server as a test database: admin connections, statements as the administrative user. */
    public final synchronized D database() {
        requireOpen();
        if (database == null) {
            throw new IllegalStateException("private " + product + " was never started");
        }
        return database;
    }

    @Override
    public final String description() {
        return database().description();
    }

    @Override
    public final TestSchema createSchema(String hint) {
        return database().createSchema(hint);
    }

    @Override
    public final DataSource insertOnlyDataSource(TestSchema schema, OutboxTables tables) {
        return database().insertOnlyDataSource(schema, tables);
    }

    @Override
    public final void killConnections(TestSchema schema) {
        database().killConnections(schema);
    }

    @Override
    public final synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop(StopMode.CRASH);
        } catch (RuntimeException e) {
            LOG.warn("could not stop private {} on port {}", product, port, e);
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
            throw new IllegalStateException("private " + product + " on port " + port + " was closed");
        }
    }

    /**
     * Stops and deletes the servers of JVMs that died without closing theirs: the directories named
     * {@code prefix*} whose owner is no longer alive. {@code stopServer} gets such a directory and
     * stops the server that may still run on it.
     */
    static void removeLeftovers(String prefix, String product, Consumer<Path> stopServer) {
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> candidates = Files.newDirectoryStream(tmp, prefix + "*")) {
            for (Path candidate : candidates) {
                long owner;
                try {
                    owner = Long.parseLong(Files.readString(candidate.resolve(OWNER_FILE), StandardCharsets.UTF_8)
                            .trim());
                } catch (IOException | NumberFormatException e) {
                    continue;
                }
                if (Commands.alive(owner)) {
                    continue;
                }
                LOG.warn("removing the private {} left behind by dead JVM {} in {}", product, owner, candidate);
                try {
                    stopServer.accept(candidate);
                } catch (RuntimeException e) {
                    LOG.warn("could not stop the left-over server in {}", candidate, e);
                }
                Commands.deleteRecursively(candidate);
            }
        } catch (IOException e) {
            LOG.warn("could not look for left-over private servers in {}", tmp, e);
        }
    }
}
