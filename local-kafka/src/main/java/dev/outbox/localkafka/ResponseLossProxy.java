package dev.outbox.localkafka;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on a free port of 127.0.0.1 that forwards every connection to one upstream address,
 * byte for byte in both directions, and on demand loses what the upstream sends back: for a window
 * of time ({@link #swallowResponses(Duration)}) the requests still reach the broker and are
 * processed, but their responses are dropped; when the window ends, the connections that lost bytes
 * are closed. A Kafka client then sees requests time out or its connection drop, reconnects and
 * sends them again: the fault that makes a producer without idempotence write duplicates.
 *
 * <p>{@link LocalKafka} puts it in front of its broker and advertises its address, so that every
 * client connection goes through it. A connection made while the upstream is down is accepted and
 * closed at once, as the broker's refusal would be.
 *
 * <p>Thread-safe. It owns its listening socket, the sockets of the connections it forwards and
 * their threads (daemon threads named {@code local-kafka-proxy-*}, one per direction per
 * connection); {@link #close()} closes them all.
 */
public final class ResponseLossProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ResponseLossProxy.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

    private final InetSocketAddress upstream;
    private final ServerSocket listener;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService windowEnds;
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicLong swallowedBytes = new AtomicLong();
    private final AtomicLong closedAfterLoss = new AtomicLong();
    /** {@link System#nanoTime()} until which responses are swallowed. */
    private volatile long swallowUntilNanos = System.nanoTime();

    private volatile boolean closed;

    private ResponseLossProxy(InetSocketAddress upstream, ServerSocket listener) {
        this.upstream = upstream;
        this.listener = listener;
        this.windowEnds =
                Executors.newSingleThreadScheduledExecutor(runnable -> daemon(runnable, "local-kafka-proxy-timer"));
        daemon(this::acceptLoop, "local-kafka-proxy-accept").start();
    }

    /**
     * Starts a proxy on a free port of 127.0.0.1 that forwards to {@code upstream}; the upstream
     * need not accept connections yet.
     */
    public static ResponseLossProxy start(InetSocketAddress upstream) {
        Objects.requireNonNull(upstream, "upstream");
        try {
            ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            return new ResponseLossProxy(upstream, listener);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a port for the proxy to " + upstream, e);
        }
    }

    /** The port of 127.0.0.1 that clients connect to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** The address that connections are forwarded to. */
    public InetSocketAddress upstream() {
        return upstream;
    }

    /**
     * From now on for {@code window}, drops every byte the upstream sends on any connection, old or
     * new, while still forwarding what the clients send; then closes the connections that lost
     * bytes (the rest of their stream would be out of frame). Returns at once. A call during a
     * window extends it to the later of the two ends.
     *
     * @param window how long responses are lost; {@code > 0}
     */
    public void swallowResponses(Duration window) {
        Objects.requireNonNull(window, "window");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be > 0, was " + window);
        }
        requireOpen();
        long end = System.nanoTime() + window.toNanos();
        synchronized (this) {
            if (end - swallowUntilNanos > 0) {
                swallowUntilNanos = end;
            }
        }
        LOG.info("proxy :{} swallows the responses of {} for {} ms", port(), upstream, window.toMillis());
        windowEnds.schedule(this::closeConnectionsThatLostBytes, window.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Whether a window of {@link #swallowResponses(Duration)} is open now. */
    public boolean isSwallowing() {
        return swallowUntilNanos - System.nanoTime() > 0;
    }

    /** How many bytes from the upstream it dropped so far. */
    public long swallowedBytes() {
        return swallowedBytes.get();
    }

    /** How many connections it closed so far because they lost bytes. */
    public long connectionsClosedAfterLoss() {
        return closedAfterLoss.get();
    }

    /** Closes the listening socket and every connection. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(listener);
        windowEnds.shutdownNow();
        for (Connection connection : connections) {
            connection.close();
        }
    }

    private void closeConnectionsThatLostBytes() {
        if (isSwallowing()) {
            return; // a later call extended the window; its own task closes them
        }
        for (Connection connection : connections) {
            if (connection.lostBytes) {
                connection.close();
            }
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("proxy :{} cannot accept a connection", port(), e);
                }
                continue;
            }
            Socket server = new Socket();
            try {
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                server.connect(upstream, CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                // the broker is down: the client sees its connection closed, as if it were refused
                closeQuietly(client);
                closeQuietly(server);
                continue;
            }
            Connection connection = new Connection(connectionIds.incrementAndGet(), client, server);
            connections.add(connection);
            if (closed) {
                connection.close();
                return;
            }
            connection.start();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the proxy :" + port() + " to " + upstream + " was closed");
        }
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    /** One client connection and its connection to the upstream. */
    private final class Connection {

        private final long id;
        private final Socket client;
        private final Socket server;
        /** Set once the upstream's bytes were dropped: nothing may be forwarded to the client after a gap. */
        private volatile boolean lostBytes;

        private final AtomicBoolean isClosed = new AtomicBoolean();

        Connection(long id, Socket client, Socket server) {
            this.id = id;
            this.client = client;
            this.server = server;
        }

        void start() {
            daemon(this::forwardRequests, "local-kafka-proxy-" + id + "-requests")
                    .start();
            daemon(this::forwardResponses, "local-kafka-proxy-" + id + "-responses")
                    .start();
        }

        private void forwardRequests() {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = client.getInputStream();
                    OutputStream out = server.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException e) {
                logUnlessClosed(e);
            } finally {
                close();
            }
        }

        private void forwardResponses() {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = server.getInputStream();
                    OutputStream out = client.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (isSwallowing()) {
                        lostBytes = true;
                        swallowedBytes.addAndGet(read);
                    } else if (lostBytes) {
                        // the window ended before its task closed this connection: the client must not
                        // read the middle of a response as the start of one
                        swallowedBytes.addAndGet(read);
                        return;
                    } else {
                        out.write(buffer, 0, read);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                logUnlessClosed(e);
            } finally {
                close();
            }
        }

        private void logUnlessClosed(IOException e) {
            if (!(e instanceof SocketException) && !client.isClosed() && !server.isClosed()) {
                LOG.debug("proxy :{} connection {} failed", port(), id, e);
            }
        }

        void close() {
            if (!isClosed.compareAndSet(false, true)) {
                return;
            }
            connections.remove(this);
            if (lostBytes) {
                closedAfterLoss.incrementAndGet();
            }
            closeQuietly(client);
            closeQuietly(server);
        }
    }
}
