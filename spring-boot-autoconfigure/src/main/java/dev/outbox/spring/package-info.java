/**
 * The outbox in a Spring application: {@link dev.outbox.spring.SpringOutboxWriter} appends in
 * Spring-managed transactions, {@link dev.outbox.spring.OutboxHandler} makes a handler bean a
 * consumer, {@link dev.outbox.spring.OutboxRelayLifecycle} runs the relay with the context.
 */
@NullMarked
package dev.outbox.spring;

import org.jspecify.annotations.NullMarked;
