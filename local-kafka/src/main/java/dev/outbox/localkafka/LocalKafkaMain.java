package dev.outbox.localkafka;

/**
 * The main class of the broker's child JVM that {@link LocalKafka} starts: {@code kafka.Kafka}
 * behind an {@link OrphanGuard}, so that the broker exits when the JVM that started it is gone. Not
 * for use in any other JVM: the broker's classes are only on the child's class path.
 */
public final class LocalKafkaMain {

    private LocalKafkaMain() {}

    /** {@code args}: the path of the broker's {@code server.properties}, as for {@code kafka.Kafka}. */
    public static void main(String[] args) throws Exception {
        OrphanGuard.start("local-kafka", "broker");
        kafka.Kafka.main(args);
    }
}
