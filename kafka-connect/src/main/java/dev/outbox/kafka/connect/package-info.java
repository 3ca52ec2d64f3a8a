/**
 * The Kafka Connect source connector of the outbox: {@link dev.outbox.kafka.connect.OutboxSourceConnector},
 * its task and its configuration ({@link dev.outbox.kafka.connect.OutboxSourceConfig}). A Connect cluster
 * reads the outbox log into Kafka with the same records as the {@code KafkaPublisher}, exactly once on
 * distributed workers with {@code exactly.once.source.support=enabled}.
 */
@NullMarked
package dev.outbox.kafka.connect;

import org.jspecify.annotations.NullMarked;
