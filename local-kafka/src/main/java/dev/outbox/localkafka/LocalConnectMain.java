package dev.outbox.localkafka;

import java.io.IOException;
import java.io.InputStream;

/**
 * The main class of the Kafka Connect worker's child JVM that {@link LocalConnect} starts: {@code
 * ConnectDistributed} behind the same orphan guard as {@link LocalKafkaMain}: when the parent JVM's
 * pipe to this one's standard input ends (it closed it or died), the worker exits through its own
 * shutdown hook. Not for use in any other JVM: the worker's classes are only on the child's class
 * path.
 */
public final class LocalConnectMain {

    private LocalConnectMain() {}

    /** {@code args}: the path of the worker's properties, as for {@code connect-distributed.sh}. */
    public static void main(String[] args) throws Exception {
        Thread orphanGuard = new Thread(LocalConnectMain::exitWhenParentIsGone, "local-connect-orphan-guard");
        orphanGuard.setDaemon(true);
        orphanGuard.start();
        org.apache.kafka.connect.cli.ConnectDistributed.main(args);
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
        System.err.println("local-connect: the parent JVM is gone, stopping the worker");
        System.exit(0);
    }
}
