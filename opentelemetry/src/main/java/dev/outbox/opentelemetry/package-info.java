/**
 * OpenTelemetry trace propagation for outbox: {@link dev.outbox.opentelemetry.OutboxTracing} puts
 * the trace context of the transaction that appends an event into the event's headers, and runs
 * each handler call that delivers it inside a span linked to (for a single event: a child of) that
 * context.
 */
@NullMarked
package dev.outbox.opentelemetry;

import org.jspecify.annotations.NullMarked;
