package dev.outbox.localkafka;

import java.io.IOException;
import java.io.InputStream;

/**
 * What keeps a child JVM of this module from outliving the JVM that started it. A child process
 * outlives its parent, so a test JVM killed with SIGKILL would leave its broker running for good.
 * The parent therefore keeps a pipe to the child's standard input open for as long as it lives,
 * writing nothing; the guard, a daemon thread of the child, reads it, and when it ends (the parent
 * closed it or died) exits the JVM, which stops the broker or worker through its own shutdown hook.
 */
final class OrphanGuard {

    private OrphanGuard() {}

    /** Starts the guard; {@code source} marks its line in the child's log, {@code what} names the child. */
    static void start(String source, String what) {
        Thread guard = new Thread(() -> exitWhenParentIsGone(source, what), source + "-orphan-guard");
        guard.setDaemon(true);
        guard.start();
    }

    private static void exitWhenParentIsGone(String source, String what) {
        InputStream parent = System.in;
        byte[] ignored = new byte[64];
        try {
            while (parent.read(ignored) >= 0) {
                // the parent writes nothing; the pipe only says that it is alive
            }
        } catch (IOException e) {
            // a broken pipe means the same as its end
        }
        System.err.println(source + ": the parent JVM is gone, stopping the " + what);
        System.exit(0);
    }
}
