/**
 * Spring Boot auto-configuration of the outbox: {@link
 * dev.outbox.spring.autoconfigure.OutboxAutoConfiguration} (writer, relay, consumers, migration),
 * {@link dev.outbox.spring.autoconfigure.OutboxActuatorAutoConfiguration} (health, endpoint) and
 * {@link dev.outbox.spring.autoconfigure.OutboxMetricsAutoConfiguration} (Micrometer), configured by
 * {@link dev.outbox.spring.autoconfigure.OutboxProperties} ({@code outbox.*}).
 */
@NullMarked
package dev.outbox.spring.autoconfigure;

import org.jspecify.annotations.NullMarked;
