package dev.outbox.localkafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker on 127.0.0.1 for tests, benchmarks and examples: one KRaft node that
 * is both broker and controller, run by {@code kafka.Kafka} in a child JVM from the jars of the
 * local Maven repository (no Docker, no Kafka download), which a test may stop with SIGTERM, kill
 * with SIGKILL and start again on the same ports and data.
 *
 * <pre>{@code
 * try (LocalKafka kafka = LocalKafka.builder().responseLossProxy(true).start()) {
 *     Properties producer = new Properties();
 *     producer.put("bootstrap.servers", kafka.bootstrapServers());
 *     ...
 *     kafka.kill();                                         // SIGKILL, as a crash
 *     kafka.start();                                        // same ports, same log dir
 *     kafka.responseLossProxy().swallowResponses(Duration.ofMillis(1500));
 * }
 * }</pre>
 *
 * <p>{@link Builder#build()} picks the free ports (the clients', the controller's and an internal
 * listener, the proxy) that the broker keeps across restarts; clients connect to {@link
 * #bootstrapServers()}, which is also the address the broker advertises to them: the port of the
 * {@link ResponseLossProxy} in front of it when the builder asked for one, else its own. The
 * broker's requests to itself (a transaction coordinator writing markers) go to the internal
 * listener, never through the proxy: lost responses are a fault between clients and the broker. Its {@code server.properties} sets replication factors
 * and minimum ISR of the internal topics to 1, {@code group.initial.rebalance.delay.ms=0}, and a
 * broker session of 3 s ({@code broker.session.timeout.ms=3000}, heartbeats every 500 ms): a node
 * restarted after SIGKILL is refused until the session of its previous incarnation expires, 9 s by
 * default. Anything else is Kafka's default (for example {@code auto.create.topics.enable=true},
 * {@code num.partitions=1}, 50 partitions of {@code __consumer_offsets}) unless {@link
 * Builder#brokerProperty(String, String)} overrides it.
 *
 * <p>A start takes a few seconds (on 2 busy cores: 1.5-2 s to format the first time, 4.5-7 s from
 * the JVM's start to ready; 5-9 s after a SIGKILL): share one broker between the tests that do not
 * restart it, with a topic each.
 *
 * <p>The broker's class path is the one Maven resolved when it built this module (the resources
 * {@code broker-runtime.classpath} and {@code broker-provided.classpath} next to this class), so it
 * runs on the machine that built this module, from a Surefire fork, {@code exec:java} or plain
 * {@code java} alike, with the {@code java} of the calling JVM. The broker's log (its stdout and
 * stderr, every start appended) is {@link #logFile()}.
 *
 * <p>It owns the child process, the proxy and a temporary directory (properties, data, log): {@link
 * #close()} kills the broker and deletes them, and so does a shutdown hook if the caller never
 * closes it. A broker whose JVM dies without either (SIGKILL) exits within seconds by itself (see
 * {@link LocalKafkaMain}), and the next {@code LocalKafka} removes its directory. Clients that the
 * caller created are the caller's to close, best before this. Thread-safe: the lifecycle methods are
 * synchronized.
 */
public final class LocalKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalKafka.class);

    private static final String DIRECTORY_PREFIX = "outbox-local-kafka-";
    private static final String OWNER_FILE = "owner.pid";
    private static final String LOOPBACK = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final long READY_POLL_MILLIS = 100;
    private static final long LISTEN_POLL_MILLIS = 50;

    /** Properties that place the node on its ports and directory: this class sets them. */
    private static final Set<String> OWNED_PROPERTIES = Set.of(
            "process.roles",
            "node.id",
            "controller.quorum.voters",
            "controller.quorum.bootstrap.servers",
            "controller.listener.names",
            "listeners",
            "advertised.listeners",
            "inter.broker.listener.name",
            "listener.security.protocol.map",
            "log.dir",
            "log.dirs",
            "metadata.log.dir");

    private final Map<String, String> overrides;
    private final int maxHeapMegabytes;
    private final Duration startTimeout;
    private final ChildJvm jvm;
    private final int brokerPort;
    private final int controllerPort;
    private final int internalPort;
    private final @Nullable ResponseLossProxy proxy;

    private final Path propertiesFile;
    private boolean formatted;
    private boolean closed;

    private LocalKafka(Builder builder, ChildJvm jvm, int[] ports) {
        this.overrides = Map.copyOf(builder.overrides);
        this.maxHeapMegabytes = builder.maxHeapMegabytes;
        this.startTimeout = builder.startTimeout;
        this.jvm = jvm;
        this.propertiesFile = jvm.directory().resolve("server.properties");
        this.brokerPort = ports[0];
        this.controllerPort = ports[1];
        this.internalPort = ports[2];
        this.proxy =
                builder.responseLossProxy ? ResponseLossProxy.start(new InetSocketAddress(LOOPBACK, brokerPort)) : null;
    }

    /** A builder of a broker with the defaults described by its methods. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the broker and returns when it is ready: a client's {@code describeCluster()} lists
     * it. The first start formats its storage (a new cluster id); a start after {@link #stop()} or
     * {@link #kill()} runs the broker again on the same ports and data. Does nothing if it runs.
     *
     * @throws IllegalStateException if it is not ready within the builder's start timeout, or exits
     *     first (the process is then killed); the message ends with the tail of the broker's log
     */
    public synchronized void start() {
        jvm.requireOpen();
        if (isRunning()) {
            return;
        }
        if (!formatted) {
            writeProperties();
            format();
            formatted = true;
        }
        jvm.start(
                maxHeapMegabytes,
                LocalKafkaMain.class.getName(),
                List.of(propertiesFile.toString()),
                startTimeout,
                this::awaitReady,
                bootstrapServers());
    }

    /**
     * Stops the broker with SIGTERM, as an operator would: Kafka's shutdown hook shuts it down in
     * order (controlled shutdown, logs flushed and closed). Returns when the process has exited;
     * does nothing if it does not run.
     *
     * @throws IllegalStateException if it did not exit within 60 s (it is then killed)
     */
    public synchronized void stop() {
        if (!isRunning()) {
            return;
        }
        long pid = jvm.pid();
        long begin = System.nanoTime();
        if (!jvm.terminate(STOP_TIMEOUT)) {
            jvm.kill();
            throw new IllegalStateException("the local Kafka broker (pid " + pid + ") did not exit within "
                    + STOP_TIMEOUT.toSeconds() + " s of SIGTERM, so it was killed; " + jvm.logEnd());
        }
        LOG.info("local Kafka broker (pid {}) stopped with SIGTERM in {} ms", pid, ChildJvm.millisSince(begin));
    }

    /**
     * Kills the broker with SIGKILL, as a crash would: no shutdown hook, nothing flushed that the
     * operating system does not already hold. Returns when the process has exited; does nothing if
     * it does not run.
     */
    public synchronized void kill() {
        if (!isRunning()) {
            return;
        }
        long pid = jvm.pid();
        jvm.kill();
        LOG.info("local Kafka broker (pid {}) killed with SIGKILL", pid);
    }

    /** Whether the broker's process is alive (it may not be ready yet, or any more). */
    public synchronized boolean isRunning() {
        return jvm.isRunning();
    }

    /**
     * What clients set as {@code bootstrap.servers}: {@code 127.0.0.1:<port>}, the proxy's port if
     * there is one. Fixed for the life of this object, across restarts.
     */
    public String bootstrapServers() {
        return LOOPBACK + ":" + (proxy != null ? proxy.port() : brokerPort);
    }

    /**
     * The proxy in front of the broker.
     *
     * @throws IllegalStateException if the builder did not ask for one
     */
    public ResponseLossProxy responseLossProxy() {
        if (proxy == null) {
            throw new IllegalStateException(
                    "this local Kafka broker has no proxy: build it with LocalKafka.builder().responseLossProxy(true)");
        }
        return proxy;
    }

    /** The process id of the running broker. */
    public synchronized long pid() {
        return jvm.pid();
    }

    /** The broker's log: its stdout and stderr, and the storage tool's, of every start. */
    public Path logFile() {
        return jvm.logFile();
    }

    /** The last {@code lines} lines of {@link #logFile()}, for failure messages. */
    public String logTail(int lines) {
        return jvm.logTail(lines);
    }

    /**
     * Kills the broker if it runs, closes the proxy and deletes the directory with the data and the
     * log. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            jvm.close();
        } finally {
            if (proxy != null) {
                proxy.close();
            }
        }
    }

    private void writeProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("process.roles", "broker,controller");
        properties.put("node.id", Integer.toString(NODE_ID));
        properties.put("controller.quorum.voters", NODE_ID + "@" + LOOPBACK + ":" + controllerPort);
        properties.put("controller.listener.names", "CONTROLLER");
        properties.put(
                "listeners",
                "PLAINTEXT://" + LOOPBACK + ":" + brokerPort + ",INTERNAL://" + LOOPBACK + ":" + internalPort
                        + ",CONTROLLER://" + LOOPBACK + ":" + controllerPort);
        // clients learn this address from the metadata: the proxy's when there is one; the broker's
        // traffic to itself (a transaction coordinator writing markers, say) uses a listener the
        // proxy is not in front of, so that a fault of the clients' network is not one of its own
        properties.put(
                "advertised.listeners",
                "PLAINTEXT://" + bootstrapServers() + ",INTERNAL://" + LOOPBACK + ":" + internalPort);
        properties.put("inter.broker.listener.name", "INTERNAL");
        properties.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT");
        properties.put("log.dirs", jvm.directory().resolve("data").toString());
        properties.put("offsets.topic.replication.factor", "1");
        properties.put("transaction.state.log.replication.factor", "1");
        properties.put("transaction.state.log.min.isr", "1");
        properties.put("share.coordinator.state.topic.replication.factor", "1");
        properties.put("share.coordinator.state.topic.min.isr", "1");
        properties.put("group.initial.rebalance.delay.ms", "0");
        // after a SIGKILL the restarted node is refused (DUPLICATE_BROKER_REGISTRATION) until the
        // session of its previous incarnation expires: 9 s by default
        properties.put("broker.session.timeout.ms", "3000");
        properties.put("broker.heartbeat.interval.ms", "500");
        properties.putAll(overrides);
        jvm.writeProperties(propertiesFile, properties);
    }

    /** Formats the storage of a new cluster, as {@code kafka-storage.sh format} does. */
    private void format() {
        long begin = System.nanoTime();
        jvm.run(
                "Kafka's storage tool",
                // C1 only: a tool that runs for a second gains nothing from C2's compiler threads
                List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                "kafka.tools.StorageTool",
                List.of("format", "-t", Uuid.randomUuid().toString(), "-c", propertiesFile.toString()),
                FORMAT_TIMEOUT);
        LOG.info("formatted the local Kafka broker's storage in {} ms", ChildJvm.millisSince(begin));
    }

    /**
     * Waits until the broker lists itself as an unfenced node of its cluster, asked as a client
     * would: through {@link #bootstrapServers()}.
     */
    private void awaitReady(Process starting, long deadlineNanos) {
        // an admin client that cannot connect logs a warning at every attempt: wait for the port first
        awaitListening(starting, deadlineNanos);
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "local-kafka-readiness");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        config.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "100");
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        @Nullable Exception lastFailure = null;
        try (Admin admin = Admin.create(config)) {
            while (true) {
                if (!starting.isAlive()) {
                    throw new IllegalStateException("the local Kafka broker exited with code " + starting.exitValue()
                            + " before it was ready; " + jvm.logEnd());
                }
                long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
                if (remainingMillis <= 0) {
                    throw new IllegalStateException(
                            "the local Kafka broker at " + bootstrapServers() + " was not ready within "
                                    + startTimeout.toSeconds() + " s (last answer: " + lastFailure + "); "
                                    + jvm.logEnd());
                }
                long callMillis = Math.min(remainingMillis, 3_000);
                try {
                    Collection<Node> nodes = admin.describeCluster(
                                    new DescribeClusterOptions().timeoutMs((int) callMillis))
                            .nodes()
                            .get(callMillis + 500, TimeUnit.MILLISECONDS);
                    if (nodes.stream().anyMatch(node -> node.id() == NODE_ID)) {
                        return;
                    }
                    lastFailure = null;
                } catch (ExecutionException e) {
                    lastFailure = e.getCause() instanceof Exception cause ? cause : e;
                } catch (TimeoutException e) {
                    lastFailure = e;
                }
                // a poll interval: the broker says nothing when it becomes ready
                TimeUnit.MILLISECONDS.sleep(READY_POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the local Kafka broker to be ready", e);
        }
    }

    /** Waits until the broker's own listener accepts connections. */
    private void awaitListening(Process starting, long deadlineNanos) {
        InetSocketAddress listener = new InetSocketAddress(LOOPBACK, brokerPort);
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(listener, 500);
                return;
            } catch (IOException refused) {
                // not yet
            }
            if (!starting.isAlive()) {
                throw new IllegalStateException("the local Kafka broker exited with code " + starting.exitValue()
                        + " before it listened on " + listener + "; " + jvm.logEnd());
            }
            if (deadlineNanos - System.nanoTime() <= 0) {
                throw new IllegalStateException("the local Kafka broker did not listen on " + listener + " within "
                        + startTimeout.toSeconds() + " s; " + jvm.logEnd());
            }
            try {
                // a poll interval: nothing tells this JVM when the port opens
                TimeUnit.MILLISECONDS.sleep(LISTEN_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the local Kafka broker to listen", e);
            }
        }
    }

    /** Three distinct free ports of 127.0.0.1, for the clients', the controller and the internal listeners. */
    private static int[] freePorts() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket broker = new ServerSocket(0, 1, loopback);
                ServerSocket controller = new ServerSocket(0, 1, loopback);
                ServerSocket internal = new ServerSocket(0, 1, loopback)) {
            return new int[] {broker.getLocalPort(), controller.getLocalPort(), internal.getLocalPort()};
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free ports for a local Kafka broker", e);
        }
    }

    private static Path createDirectory() {
        try {
            Path directory = Files.createTempDirectory(DIRECTORY_PREFIX);
            Files.writeString(
                    directory.resolve(OWNER_FILE),
                    Long.toString(ProcessHandle.current().pid()));
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for a local Kafka broker", e);
        }
    }

    /**
     * Deletes the directories of the brokers of JVMs that died without closing them (their broker
     * exited by itself, see {@link LocalKafkaMain}).
     */
    private static void removeLeftovers() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> candidates = Files.newDirectoryStream(tmp, DIRECTORY_PREFIX + "*")) {
            for (Path candidate : candidates) {
                long owner;
                try {
                    owner = Long.parseLong(Files.readString(candidate.resolve(OWNER_FILE), StandardCharsets.UTF_8)
                            .trim());
                } catch (IOException | NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                LOG.info("removing the local Kafka broker directory {} of dead JVM {}", candidate, owner);
                ChildJvm.deleteRecursively(candidate);
            }
        } catch (IOException e) {
            LOG.warn("could not look for left-over local Kafka broker directories in {}", tmp, e);
        }
    }

    /**
     * What to start: broker properties, proxy, heap, start timeout. Not thread-safe; {@link
     * #build()} copies what it holds.
     */
    public static final class Builder {

        private final Map<String, String> overrides = new LinkedHashMap<>();
        private boolean responseLossProxy;
        private int maxHeapMegabytes = 512;
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder() {}

        /**
         * Sets a property of the broker's {@code server.properties}, over this class's value or
         * Kafka's default, for example {@code auto.create.topics.enable=false} or {@code
         * num.partitions=3}. The properties that place the node on its ports and directory
         * ({@code listeners}, {@code advertised.listeners}, {@code node.id}, {@code log.dirs}...) are
         * this class's and refused.
         */
        public Builder brokerProperty(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (OWNED_PROPERTIES.contains(name)) {
                throw new IllegalArgumentException(
                        "brokerProperty: " + name + " is set by LocalKafka (it places the node on its ports and"
                                + " directory); it cannot be overridden");
            }
            overrides.put(name, value);
            return this;
        }

        /** {@link #brokerProperty(String, String)} for each entry. */
        public Builder brokerProperties(Map<String, String> properties) {
            Objects.requireNonNull(properties, "properties").forEach(this::brokerProperty);
            return this;
        }

        /**
         * Whether clients reach the broker through a {@link ResponseLossProxy} (its address is then
         * the advertised one). Default: false.
         */
        public Builder responseLossProxy(boolean enabled) {
            this.responseLossProxy = enabled;
            return this;
        }

        /** The broker JVM's maximum heap ({@code -Xmx}), in MiB, {@code >= 128}. Default: 512. */
        public Builder maxHeapMegabytes(int megabytes) {
            this.maxHeapMegabytes = ChildJvm.checkedMaxHeap(megabytes);
            return this;
        }

        /**
         * How long {@link LocalKafka#start()} waits for the broker to be ready, from its JVM's start;
         * {@code > 0}. Default: 60 s.
         */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = ChildJvm.checkedStartTimeout(Objects.requireNonNull(timeout, "timeout"));
            return this;
        }

        /**
         * A broker that does not run yet: its ports are chosen, its directory is created, its proxy
         * (if any) listens. {@link LocalKafka#close()} releases them.
         *
         * @throws IllegalStateException if this module was not built by Maven on this machine (no
         *     broker class path, or one that names missing jars)
         */
        public LocalKafka build() {
            String classPath = ChildJvm.brokerClassPath();
            removeLeftovers();
            ChildJvm jvm =
                    new ChildJvm("the local Kafka broker", "local-kafka", classPath, createDirectory(), "broker.log");
            try {
                return new LocalKafka(this, jvm, freePorts());
            } catch (RuntimeException | Error e) {
                jvm.close();
                throw e;
            }
        }

        /** {@link #build()}, then {@link LocalKafka#start()}; closes it if the start fails. */
        public LocalKafka start() {
            LocalKafka kafka = build();
            try {
                kafka.start();
                return kafka;
            } catch (RuntimeException | Error e) {
                kafka.close();
                throw e;
            }
        }
    }
}
