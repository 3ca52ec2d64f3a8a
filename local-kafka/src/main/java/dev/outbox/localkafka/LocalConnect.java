package dev.outbox.localkafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real distributed Kafka Connect worker ({@code org.apache.kafka.connect.cli.ConnectDistributed}
 * of the Kafka version this module is built with) on 127.0.0.1, in a child JVM next to a {@link
 * LocalKafka} broker, from the jars of the local Maven repository: for the tests and benchmarks of a
 * connector, which a test may stop with SIGTERM, kill with SIGKILL and start again as the same
 * member of the same Connect cluster.
 *
 * <pre>{@code
 * try (LocalKafka kafka = LocalKafka.builder().start();
 *         LocalConnect connect = LocalConnect.builder(kafka).pluginPath(pluginDirectory).start()) {
 *     connect.request("PUT", "/connectors/outbox/config", json);
 *     connect.kill();                                       // SIGKILL, as a crash
 *     connect.start();                                      // same group, same REST port
 * }
 * }</pre>
 *
 * <p>The worker's properties: the broker's {@code bootstrap.servers}; a group id and three internal
 * topics of its own (replication factor 1); its REST listener on a free port ({@link #restUrl()});
 * {@code plugin.path} as the builder says, with {@code plugin.discovery=service_load} (plugins
 * declare themselves in {@code META-INF/services}: no class path scan); {@code
 * exactly.once.source.support=enabled}; byte-array converters for keys and values by default; the
 * file config provider ({@code ${file:<path>:<key>}} in a connector's configuration); offsets
 * flushed every second; and a group session of 6 s with {@code scheduled.rebalance.max.delay.ms=0}, so
 * that the tasks of a worker killed with SIGKILL are assigned again within seconds of its restart
 * rather than after 5 minutes; and {@code producer.transaction.timeout.ms=10000}, so that a worker
 * restarted after SIGKILL waits 10 s, not 60, for the killed task's open transaction to be aborted
 * before it can read its offsets. {@link Builder#workerProperty(String, String)} overrides any of them.
 *
 * <p>The worker's class path is the broker's (see {@link LocalKafka}), which holds {@code
 * connect-runtime} too. Its log (stdout and stderr, every start appended) is {@link #logFile()}.
 * It owns the child process and a temporary directory (its properties and log): {@link #close()}
 * kills the worker and deletes them, and so does a shutdown hook. A worker whose parent JVM dies
 * exits by itself (see {@link LocalConnectMain}). Thread-safe: the lifecycle methods are
 * synchronized.
 */
public final class LocalConnect implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalConnect.class);

    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final long READY_POLL_MILLIS = 200;
    private static final Set<String> OWNED_PROPERTIES = Set.of("listeners", "rest.advertised.port");

    private final Map<String, String> properties;
    private final int maxHeapMegabytes;
    private final Duration startTimeout;
    private final ChildJvm jvm;
    private final Path propertiesFile;
    private final int restPort;
    private final HttpClient http;

    private LocalConnect(Builder builder, ChildJvm jvm, int restPort) {
        this.maxHeapMegabytes = builder.maxHeapMegabytes;
        this.startTimeout = builder.startTimeout;
        this.jvm = jvm;
        this.propertiesFile = jvm.directory().resolve("connect-distributed.properties");
        this.restPort = restPort;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        String group = "local-connect-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> worker = new LinkedHashMap<>();
        worker.put("bootstrap.servers", builder.kafka.bootstrapServers());
        worker.put("group.id", group);
        worker.put("config.storage.topic", group + "-configs");
        worker.put("offset.storage.topic", group + "-offsets");
        worker.put("status.storage.topic", group + "-status");
        worker.put("config.storage.replication.factor", "1");
        worker.put("offset.storage.replication.factor", "1");
        worker.put("status.storage.replication.factor", "1");
        worker.put("offset.storage.partitions", "5");
        worker.put("status.storage.partitions", "1");
        worker.put("listeners", "http://" + LOOPBACK + ":" + restPort);
        worker.put("rest.advertised.host.name", LOOPBACK);
        worker.put("rest.advertised.port", Integer.toString(restPort));
        if (builder.pluginPath != null) {
            worker.put("plugin.path", builder.pluginPath.toAbsolutePath().toString());
        }
        worker.put("plugin.discovery", "service_load");
        worker.put("exactly.once.source.support", "enabled");
        worker.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        worker.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        worker.put("config.providers", "file");
        worker.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        worker.put("offset.flush.interval.ms", "1000");
        // a worker killed with SIGKILL leaves the group after its session; its tasks then wait for
        // scheduled.rebalance.max.delay.ms (5 minutes by default) unless it comes back sooner
        worker.put("session.timeout.ms", "6000");
        worker.put("heartbeat.interval.ms", "1000");
        worker.put("scheduled.rebalance.max.delay.ms", "0");
        // a task killed with its worker leaves its transaction open; a new worker reads the offsets
        // topic read_committed before it starts any task, so it waits until the broker aborts that
        // transaction: after the producer's transaction.timeout.ms, 60 s by default (measured: 67 s)
        worker.put("producer.transaction.timeout.ms", "10000");
        worker.putAll(builder.overrides);
        this.properties = Map.copyOf(worker);
        jvm.writeProperties(propertiesFile, worker);
    }

    /** A builder of a worker in the Connect cluster of {@code kafka}. */
    public static Builder builder(LocalKafka kafka) {
        return new Builder(kafka);
    }

    /**
     * Starts the worker and returns when its REST API answers {@code GET /connectors} (it joined its
     * group). Does nothing if it runs.
     *
     * @throws IllegalStateException if it is not ready within the builder's start timeout, or exits
     *     first (the process is then killed)
     */
    public synchronized void start() {
        jvm.requireOpen();
        if (isRunning()) {
            return;
        }
        jvm.start(
                maxHeapMegabytes,
                LocalConnectMain.class.getName(),
                List.of(propertiesFile.toString()),
                startTimeout,
                this::awaitReady,
                restUrl());
    }

    /** Stops the worker with SIGTERM (its tasks stop, offsets are flushed); returns when it exited. */
    public synchronized void stop() {
        jvm.requireOpen();
        if (!jvm.terminate(STOP_TIMEOUT)) {
            LOG.warn("the Connect worker did not stop within {} s of SIGTERM: killing it", STOP_TIMEOUT.toSeconds());
            jvm.kill();
        }
    }

    /** Kills the worker with SIGKILL, as a crash: nothing is flushed. Returns when it exited. */
    public synchronized void kill() {
        jvm.requireOpen();
        jvm.kill();
    }

    /**
     * Freezes the worker with SIGSTOP, as a long pause would (a stop-the-world collection, a
     * suspended machine): its threads do nothing, its tasks send nothing, until {@link #resume()}.
     *
     * @throws IllegalStateException if it does not run
     */
    public synchronized void pause() {
        jvm.requireOpen();
        jvm.signal("STOP");
    }

    /** Resumes a worker frozen by {@link #pause()} (SIGCONT). */
    public synchronized void resume() {
        jvm.requireOpen();
        jvm.signal("CONT");
    }

    /** Whether the worker's JVM runs. */
    public synchronized boolean isRunning() {
        return jvm.isRunning();
    }

    /** The worker's process id, while it runs. */
    public synchronized long pid() {
        return jvm.pid();
    }

    /** {@code http://127.0.0.1:<port>}: the worker's REST API, the same across restarts. */
    public String restUrl() {
        return "http://" + LOOPBACK + ":" + restPort;
    }

    /** The worker's properties as written to its properties file. */
    public Map<String, String> workerProperties() {
        return properties;
    }

    /** The worker's log file: its stdout and stderr, every start appended. */
    public Path logFile() {
        return jvm.logFile();
    }

    /** The worker's directory, deleted by {@link #close()}: a place for a test's secrets file. */
    public Path directory() {
        return jvm.directory();
    }

    /** What the REST API answered: the status code and the body. */
    public record Response(int status, String body) {

        /** Whether the status is 2xx. */
        public boolean isSuccess() {
            return status >= 200 && status < 300;
        }
    }

    /**
     * Sends {@code method path} to the worker's REST API with {@code json} as the body (none if
     * null), and returns its answer.
     */
    public Response request(String method, String path, @Nullable String json) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(restUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json");
        if (json == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "the Connect worker's REST API at " + restUrl() + " did not answer " + method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling " + method + " " + path, e);
        }
    }

    /** The last lines of the worker's log, for a failure message. */
    public String logTail(int lines) {
        return jvm.logTail(lines);
    }

    /** Kills the worker and deletes its directory. Idempotent. */
    @Override
    public synchronized void close() {
        jvm.close();
    }

    private void awaitReady(Process starting, long deadlineNanos) {
        String last = "no answer yet";
        while (true) {
            if (!starting.isAlive()) {
                throw new IllegalStateException("the Connect worker exited with code " + starting.exitValue()
                        + " before it was ready; " + jvm.logEnd());
            }
            if (deadlineNanos - System.nanoTime() <= 0) {
                throw new IllegalStateException("the Connect worker at " + restUrl() + " was not ready within "
                        + startTimeout.toSeconds() + " s (last answer: " + last + "); " + jvm.logEnd());
            }
            try {
                Response response = request("GET", "/connectors", null);
                if (response.status() == 200) {
                    return;
                }
                last = response.status() + " " + response.body();
            } catch (UncheckedIOException notListening) {
                last = notListening.getCause().toString();
            }
            try {
                // a poll interval: the worker says nothing when it becomes ready
                TimeUnit.MILLISECONDS.sleep(READY_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the Connect worker", e);
            }
        }
    }

    /** What to start: plugin path, worker properties, heap, start timeout. Not thread-safe. */
    public static final class Builder {

        private final LocalKafka kafka;
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private @Nullable Path pluginPath;
        private int maxHeapMegabytes = 512;
        private Duration startTimeout = Duration.ofSeconds(90);

        private Builder(LocalKafka kafka) {
            this.kafka = Objects.requireNonNull(kafka, "kafka");
        }

        /** The worker's {@code plugin.path}: a directory whose subdirectories are plugins. */
        public Builder pluginPath(Path path) {
            this.pluginPath = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * Sets a worker property over this class's value or Connect's default. The REST listener's
         * ({@code listeners}, {@code rest.advertised.port}) are this class's and refused.
         */
        public Builder workerProperty(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (OWNED_PROPERTIES.contains(name)) {
                throw new IllegalArgumentException("workerProperty: " + name + " is set by LocalConnect");
            }
            overrides.put(name, value);
            return this;
        }

        /** The worker JVM's maximum heap ({@code -Xmx}), in MiB, {@code >= 128}. Default: 512. */
        public Builder maxHeapMegabytes(int megabytes) {
            this.maxHeapMegabytes = ChildJvm.checkedMaxHeap(megabytes);
            return this;
        }

        /** How long {@link LocalConnect#start()} waits for the worker; {@code > 0}. Default: 90 s. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = ChildJvm.checkedStartTimeout(Objects.requireNonNull(timeout, "timeout"));
            return this;
        }

        /** A worker that does not run yet: its port is chosen, its directory and properties written. */
        public LocalConnect build() {
            String classPath = ChildJvm.brokerClassPath();
            Path directory;
            try {
                directory = Files.createTempDirectory("outbox-local-connect-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for a local Connect worker", e);
            }
            ChildJvm jvm = new ChildJvm("the Connect worker", "local-connect", classPath, directory, "worker.log");
            try {
                return new LocalConnect(this, jvm, freePort());
            } catch (RuntimeException | Error e) {
                jvm.close();
                throw e;
            }
        }

        /** {@link #build()}, then {@link LocalConnect#start()}; closes it if the start fails. */
        public LocalConnect start() {
            LocalConnect connect = build();
            try {
                connect.start();
                return connect;
            } catch (RuntimeException | Error e) {
                connect.close();
                throw e;
            }
        }

        private static int freePort() {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port for a local Connect worker", e);
            }
        }
    }
}
