package dev.outbox.testkit.database;

/**
 * A database server that a test owns and may stop, crash and start again: a private server on a
 * temporary data directory and a free port, never the shared one other tests run on.
 *
 * <p>Use it like any {@link TestDatabase} (schemas, pools, killed sessions); in addition {@link
 * #restart()} crashes the server and starts it again on the same data, and {@link #stop(StopMode)}
 * with {@link #start()} keep it down for as long as the test wants. Pools created by {@link
 * #createSchema(String)} survive a restart: their connections break and are replaced once the
 * server is back. {@link #close()} stops the server and deletes its data directory; it also runs
 * from a JVM shutdown hook, so a failed test leaks neither the process nor the directory.
 *
 * <p>Thread-safe: stop, start and restart are serialized.
 */
public interface RestartableDatabase extends TestDatabase, AutoCloseable {

    /** How {@link #stop(StopMode)} stops the server. */
    enum StopMode {
        /**
         * Like a power cut of the server process: no checkpoint, open transactions die, the next
         * start runs crash recovery (PostgreSQL {@code pg_ctl stop -m immediate}, MariaDB
         * {@code SIGKILL}).
         */
        CRASH,
        /** An orderly shutdown: sessions are disconnected, dirty data is flushed first. */
        CLEAN
    }

    /** The JDBC URL of the server's test database (changes never: the port is kept). */
    String url();

    /** Stops the server; returns when its process has exited. No-op when it is not running. */
    void stop(StopMode mode);

    /** Starts the server on the same data directory and port; returns when it accepts connections. */
    void start();

    /** {@link #stop(StopMode) stop(CRASH)}, then {@link #start()}. */
    default void restart() {
        stop(StopMode.CRASH);
        start();
    }

    /** Whether the server process is running. */
    boolean isRunning();

    /** How many times the server was started, the first start included. */
    int starts();

    /** Stops the server (crash mode) and deletes its data directory. Idempotent. */
    @Override
    void close();
}
