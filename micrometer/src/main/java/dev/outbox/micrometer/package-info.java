/**
 * Micrometer metrics of an outbox relay: consumer lag, deliveries, failures, parked, blocked and
 * waiting consumers, the queue and the sequencer. Start with {@link
 * dev.outbox.micrometer.OutboxMetrics#bind(dev.outbox.OutboxRelay,
 * io.micrometer.core.instrument.MeterRegistry)}.
 */
@NullMarked
package dev.outbox.micrometer;

import org.jspecify.annotations.NullMarked;
