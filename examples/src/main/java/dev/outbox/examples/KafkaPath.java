package dev.outbox.examples;

import dev.outbox.OutboxConsumer;
import dev.outbox.StartPosition;
import dev.outbox.kafka.KafkaPublisher;
import dev.outbox.localkafka.LocalKafka;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example's path through Kafka ({@code --kafka}): a real Kafka broker started for the run (a
 * child JVM, see {@link LocalKafka}), the Kafka publisher that the relay runs as consumer {@value
 * KafkaEnrollmentCounts#CONSUMER_NAME} (exactly once, with Kafka transactions), and the Kafka consumer
 * that keeps the third derived system. Closing it stops them in that order's reverse; close the relay
 * first.
 */
final class KafkaPath implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaPath.class);

    private final LocalKafka broker;
    private final KafkaPublisher publisher;
    private final KafkaEnrollmentCounts counts;

    private KafkaPath(LocalKafka broker, KafkaPublisher publisher, KafkaEnrollmentCounts counts) {
        this.broker = broker;
        this.publisher = publisher;
        this.counts = counts;
    }

    static KafkaPath start() {
        LOG.info("starting a local Kafka broker (a child JVM from the Maven repository's jars)");
        LocalKafka broker = LocalKafka.builder().start();
        try {
            Properties producerProperties = new Properties();
            producerProperties.setProperty("bootstrap.servers", broker.bootstrapServers());
            // [readme:kafka-publisher]
            KafkaPublisher publisher = KafkaPublisher.builder(producerProperties) // bootstrap.servers, security
                    .exactlyOnce("course-example") // transactional.id prefix, unique per outbox on the cluster
                    .build(); // topics outbox.event.<aggregate type>, key = aggregate id
            // [readme:end]
            KafkaEnrollmentCounts counts = new KafkaEnrollmentCounts(broker.bootstrapServers());
            counts.start();
            LOG.info(
                    "Kafka at {}: publishing exactly once to {}",
                    broker.bootstrapServers(),
                    KafkaEnrollmentCounts.TOPIC);
            return new KafkaPath(broker, publisher, counts);
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /** The consumer that publishes the log to Kafka: register it on the relay. */
    OutboxConsumer publishingConsumer() {
        // [readme:kafka-consumer]
        OutboxConsumer toKafka = publisher
                .consumer("to-kafka")
                .startFrom(StartPosition.BEGINNING)
                .batchSize(500) // events per Kafka transaction
                .build();
        // [readme:end]
        return toKafka;
    }

    KafkaEnrollmentCounts counts() {
        return counts;
    }

    @Override
    public void close() throws InterruptedException {
        try {
            counts.close();
            publisher.close();
        } finally {
            broker.close();
        }
    }
}
