/**
 * The Kafka publisher: a consumer of the outbox log that hands every entry to Kafka, at least once
 * (an idempotent producer, the checkpoint saved only after every record of a batch was acknowledged)
 * or exactly once (a Kafka transaction per batch that also writes the consumer's position). Start
 * with {@link dev.outbox.kafka.KafkaPublisher}.
 */
@NullMarked
package dev.outbox.kafka;

import org.jspecify.annotations.NullMarked;
