package dev.outbox.localkafka;

import java.io.IOException;
import java.io.InputStream;

/**
 * The main class of the broker's child JVM that {@link LocalKafka} starts: {@code kafka.Kafka}
 * behind an orphan guard. Not for use in any other JVM: the broker's classes are only on the child's
 * class path.
 *
 * <p>A child process outlives its parent, so a test JVM killed with SIGKILL would leave its broker
 * running for good. The parent therefore keeps a pipe to the child's standard input open for as long
 * as it lives, writing nothing; the guard reads it, and when it ends (the parent closed it or died)
 * exits the JVM, which stops the broker through Kafka's own shutdown hook.
 */
public final class LocalKafkaMain {

    private LocalKafkaMain() {}

    /** {@code args}: the path of the broker's {@code server.properties}, as for {@code kafka.Kafka}. */
    public static void main(String[] args) throws Exception {
        Thread orphanGuard = new Thread(LocalKafkaMain::exitWhenParentIsGone, "local-kafka-orphan-guard");
        orphanGuard.setDaemon(true);
        orphanGuard.start();
        kafka.Kafka.main(args);
    }

    private static void exitWhenParentIsGone() {
        InputStream parent = System.in;
        byte[] ignored = new byte[64];
        try {
            while (parent.read(ignored) >= 0) {
                // the parent writes nothing; the pipe only says that it is alive
            }
        } catch (IOException e) {
            // a broken pipe means the same as its end
        }
        System.err.println("local-kafka: the parent JVM is gone, stopping the broker");
        System.exit(0);
    }
}
