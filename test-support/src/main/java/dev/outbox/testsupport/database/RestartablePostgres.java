package dev.outbox.testsupport.database;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

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
 * keeps the written pages), only when the machine does; {@link #launch(Map)} takes other settings.
 *
 * <p>{@link #close()} (also from a shutdown hook) stops the server and deletes the directory. A
 * server left behind by a JVM that was killed is stopped and deleted by the next {@link
 * #launch()}. Thread-safe.
 */
public final class RestartablePostgres extends PrivateServer<PostgresTestDatabase> {

    private static final String PRODUCT = "PostgreSQL";
    private static final String DIRECTORY_PREFIX = "outbox-restartable-pg-";
    private static final String OS_USER = "postgres";

    /** Fast and crash-safe for the server process; {@link #launch(Map)} adds to or replaces them. */
    private static final Map<String, String> DEFAULT_SETTINGS = defaultSettings();

    // pg_ctl hands its -o options to a shell: only names and values that need no quoting
    private static final Pattern UNQUOTED = Pattern.compile("[A-Za-z0-9_.,:/+-]+");

    private final Path binaries;
    private final String options;
    private boolean running;

    private RestartablePostgres(Path binaries, Path directory, int port, Map<String, String> settings) {
        super(PRODUCT, directory, port, "jdbc:postgresql://127.0.0.1:" + port + "/postgres");
        this.binaries = binaries;
        StringBuilder options = new StringBuilder("-p " + port + " -k " + directory + " -c listen_addresses=127.0.0.1");
        settings.forEach(
                (name, value) -> options.append(" -c ").append(name).append('=').append(value));
        this.options = options.toString();
    }

    /** Creates a cluster in a new temporary directory and starts it. */
    public static RestartablePostgres launch() {
        return launch(Map.of());
    }

    /**
     * Like {@link #launch()}, with server settings ({@code postgres -c name=value}) that add to or
     * replace the defaults: {@code fsync=off}, {@code synchronous_commit=on}, {@code
     * max_connections=200}, {@code shared_buffers=64MB}. They hold for every start. Names and values
     * must need no shell quoting (letters, digits and {@code _.,:/+-}).
     *
     * <pre>{@code
     * RestartablePostgres.launch(Map.of("wal_level", "logical", "fsync", "on"))
     * }</pre>
     */
    public static RestartablePostgres launch(Map<String, String> settings) {
        Map<String, String> merged = new LinkedHashMap<>(DEFAULT_SETTINGS);
        settings.forEach((name, value) -> {
            if (!UNQUOTED.matcher(name).matches() || !UNQUOTED.matcher(value).matches()) {
                throw new IllegalArgumentException(
                        "setting " + name + "=" + value + " needs quoting, which the pg_ctl command line does not do");
            }
            merged.put(name, value);
        });
        Path binaries = findBinaries();
        removeLeftovers(DIRECTORY_PREFIX, PRODUCT, leftover -> stopLeftover(binaries, leftover));
        Path directory = createDirectory(DIRECTORY_PREFIX, PRODUCT);
        return setUp(new RestartablePostgres(binaries, directory, Commands.freePort(), merged), server -> {
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
        });
    }

    private static Map<String, String> defaultSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("fsync", "off");
        settings.put("synchronous_commit", "on");
        settings.put("max_connections", "200");
        settings.put("shared_buffers", "64MB");
        return Collections.unmodifiableMap(settings);
    }

    @Override
    void startProcess() {
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
    }

    @Override
    PostgresTestDatabase connect() {
        return new PostgresTestDatabase(url(), "postgres", null, "private restartable server, port " + port());
    }

    @Override
    void stopProcess(StopMode mode) {
        pgCtlStop(binaries, data, mode == StopMode.CRASH ? "immediate" : "fast");
        running = false;
    }

    @Override
    public synchronized boolean isRunning() {
        return running;
    }

    /** Stops the server a dead JVM left running on {@code directory}, if one runs. */
    private static void stopLeftover(Path binaries, Path directory) {
        Path leftoverData = directory.resolve("data");
        if (Files.exists(leftoverData.resolve("postmaster.pid"))) {
            pgCtlStop(binaries, leftoverData, "immediate");
        }
    }

    /** {@code pg_ctl stop} in shutdown mode {@code mode} ("fast", "immediate"), waiting for it. */
    private static void pgCtlStop(Path binaries, Path data, String mode) {
        Commands.run(
                Commands.asUser(
                        OS_USER,
                        List.of(
                                binaries.resolve("pg_ctl").toString(),
                                "-D",
                                data.toString(),
                                "-m",
                                mode,
                                "-w",
                                "-t",
                                "120",
                                "stop")),
                TOOL_TIMEOUT);
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
