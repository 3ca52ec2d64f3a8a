package dev.outbox.localkafka;

/**
 * The main class of the Kafka Connect worker's child JVM that {@link LocalConnect} starts: {@code
 * ConnectDistributed} behind an {@link OrphanGuard}, so that the worker exits when the JVM that
 * started it is gone. Not for use in any other JVM: the worker's classes are only on the child's
 * class path.
 */
public final class LocalConnectMain {

    private LocalConnectMain() {}

    /** {@code args}: the path of the worker's properties, as for {@code connect-distributed.sh}. */
    public static void main(String[] args) throws Exception {
        OrphanGuard.start("local-connect", "worker");
        org.apache.kafka.connect.cli.ConnectDistributed.main(args);
    }
}
