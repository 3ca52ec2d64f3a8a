package dev.outbox.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the bench's own, on a temporary directory and a free port of 127.0.0.1,
 * with {@code wal_level=logical} (Debezium needs it) and {@code pg_stat_statements}; otherwise the
 * settings of the shared server (fsync and synchronous_commit on, shared_buffers 128MB). The shared
 * server on 5432 is never touched. {@link #close()} (also from a shutdown hook) stops it and deletes
 * its directory. Modelled on the testkit's RestartablePostgres, which runs with fsync off.
 */
final class PrivatePostgres implements AutoCloseable {

    private static final String OS_USER = "postgres";

    final int port;
    final String url;
    private final Path binaries;
    private final Path directory;
    private final Path data;
    private final Thread hook = new Thread(this::close, "private-postgres-cleanup");
    private boolean closed;

    private PrivatePostgres(Path binaries, Path directory, int port) {
        this.binaries = binaries;
        this.directory = directory;
        this.data = directory.resolve("data");
        this.port = port;
        this.url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    static PrivatePostgres start() throws IOException {
        Path binaries = findBinaries();
        Path directory = Files.createTempDirectory("outbox-bench-pg-");
        PrivatePostgres server = new PrivatePostgres(binaries, directory, freePort());
        Runtime.getRuntime().addShutdownHook(server.hook);
        try {
            if (runningAsRoot()) {
                run(List.of("chown", "-R", OS_USER + ":", directory.toString()));
            }
            run(asUser(List.of(
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
                    "--no-sync")));
            String options = "-p " + server.port + " -k " + directory
                    + " -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_wal_senders=4"
                    + " -c max_replication_slots=4 -c shared_preload_libraries=pg_stat_statements"
                    + " -c fsync=on -c synchronous_commit=on -c shared_buffers=128MB -c max_connections=60";
            run(asUser(List.of(
                    binaries.resolve("pg_ctl").toString(),
                    "-D",
                    server.data.toString(),
                    "-l",
                    directory.resolve("server.log").toString(),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "120",
                    "start")));
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    String version() {
        return binaries.getParent().getFileName().toString();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                run(asUser(List.of(
                        binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop")));
            }
        } catch (RuntimeException e) {
            System.err.println("could not stop the private PostgreSQL: " + e.getMessage());
        } finally {
            try (Stream<Path> paths = Files.walk(directory)) {
                paths.sorted(Comparator.reverseOrder())
                        .forEach(path -> path.toFile().delete());
            } catch (IOException ignored) {
                // best effort
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is exiting: this is the hook
            }
        }
    }

    private static Path findBinaries() {
        Path root = Path.of("/usr/lib/postgresql");
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
                    .max(Comparator.comparing(bin -> Integer.parseInt(
                            bin.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                    .orElseThrow();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(
                    "no PostgreSQL server binaries under /usr/lib/postgresql for the private instance (Debian: apt-get"
                            + " install postgresql)",
                    e);
        }
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static List<String> asUser(List<String> command) {
        if (!runningAsRoot()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", OS_USER, "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    private static void run(List<String> command) {
        try {
            Path output = Files.createTempFile("outbox-bench-cmd-", ".out");
            try {
                Process process = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .start();
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("timed out: " + String.join(" ", command));
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException("exit " + process.exitValue() + ": " + String.join(" ", command)
                            + "\n" + Files.readString(output, StandardCharsets.UTF_8));
                }
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
