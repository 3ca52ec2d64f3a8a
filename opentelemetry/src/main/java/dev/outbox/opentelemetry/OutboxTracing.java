package dev.outbox.opentelemetry;

import dev.outbox.EventHandler;
import dev.outbox.Lease;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxWriter;
import dev.outbox.PartialSuccessException;
import dev.outbox.SessionHandler;
import dev.outbox.TransactionalEventHandler;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * Carries a trace from the transaction that appended an event to the handler calls that deliver
 * it, through the event's headers.
 *
 * <ul>
 *   <li><b>At append</b>: {@link #headerSource()}, installed on the writer with {@link
 *       OutboxWriter.Builder#headers(OutboxWriter.HeaderSource)}, injects the appending thread's
 *       current {@link io.opentelemetry.context.Context} into every event's headers through the
 *       {@code OpenTelemetry} instance's {@link io.opentelemetry.context.propagation.TextMapPropagator}:
 *       with the W3C trace context propagator (the default of the SDK's autoconfiguration, of the
 *       Java agent and of Spring Boot's tracing; an SDK built with {@code OpenTelemetrySdk.builder()} has none
 *       until it is set), {@code traceparent} and, when the trace has one, {@code tracestate}.
 *       Nothing is added when no valid span is current. The business code does nothing more.
 *   <li><b>At delivery</b>: {@link #tracedHandler}, {@link #tracedTransactional} and {@link
 *       #tracedSessions} wrap a handler so that each call (one batch) runs inside a span of kind
 *       {@link SpanKind#CONSUMER} named {@code outbox process <consumer>}, current while the handler
 *       runs (so the handler's own spans are its children). The span links to the context extracted
 *       from each record's headers; when the batch is one record with a trace context, the span is
 *       also that context's child. A handler's exception marks the span as an error, is recorded on
 *       it, and is rethrown unchanged, so the relay's retries and failure policy are what they are
 *       without tracing. Re-driven dead letters are traced the same way.
 * </ul>
 *
 * <p>The attributes of a delivery span follow OpenTelemetry's messaging conventions where they fit:
 * {@code messaging.system=outbox}, {@code messaging.operation.type=process}, {@code
 * messaging.operation.name=process}, {@code messaging.consumer.group.name=<consumer>}, {@code
 * messaging.batch.message_count}, {@code messaging.message.id} (the event id, for a batch of one),
 * {@code messaging.destination.partition.id} (a session handler's partition), and of outbox's own
 * {@code outbox.seq.first}, {@code outbox.seq.last}, {@code outbox.redelivery} (a session's
 * re-driven dead letters) and {@code outbox.processed} (a {@link PartialSuccessException}'s count).
 *
 * <p>Immutable and thread-safe; the wrapped handlers are as thread-safe as the handlers they wrap.
 * It owns no resource: the {@code OpenTelemetry} instance stays the caller's to close.
 */
public final class OutboxTracing {

    /** The instrumentation scope of the spans this module makes: {@value}. */
    public static final String INSTRUMENTATION_SCOPE = "dev.outbox.opentelemetry";

    /**
     * Default of {@link Builder#maxLinks(int)}: {@value}, the SDK's default limit of links per span
     * (more would be dropped by the SDK after being extracted).
     */
    public static final int DEFAULT_MAX_LINKS = 128;

    /** Upper bound of {@link Builder#maxLinks(int)}: {@value}. */
    public static final int MAX_LINKS_LIMIT = 10_000;

    private final TraceHeaders headers;
    private final DeliverySpans spans;

    private OutboxTracing(Builder builder) {
        OpenTelemetry openTelemetry = builder.openTelemetry;
        this.headers = new TraceHeaders(openTelemetry.getPropagators().getTextMapPropagator());
        this.spans = new DeliverySpans(
                openTelemetry.getTracer(INSTRUMENTATION_SCOPE, ModuleVersion.VERSION), headers, builder.maxLinks);
    }

    /**
     * Tracing through {@code openTelemetry}: its tracer provider makes the spans, its text map
     * propagator writes and reads the headers. With the Java agent, pass {@code
     * GlobalOpenTelemetry.get()}; with Spring Boot, the {@code OpenTelemetry} bean.
     */
    public static OutboxTracing create(OpenTelemetry openTelemetry) {
        return builder(openTelemetry).build();
    }

    /** A builder of tracing through {@code openTelemetry}, for settings other than the defaults. */
    public static Builder builder(OpenTelemetry openTelemetry) {
        return new Builder(Objects.requireNonNull(openTelemetry, "openTelemetry"));
    }

    /**
     * The headers of the appending thread's current trace context, for {@link
     * OutboxWriter.Builder#headers(OutboxWriter.HeaderSource)}: read at each append, in the thread
     * that appends. Empty when no valid span is current, or when the propagator writes nothing
     * ({@code OpenTelemetry.noop()}). An event's own header of the same name wins (the writer's
     * rule), so an event can carry a context of its own.
     *
     * <pre>{@code
     * OutboxWriter writer = OutboxWriter.builder(dialect)
     *         .headers(tracing.headerSource())
     *         .build();
     * }</pre>
     */
    public OutboxWriter.HeaderSource headerSource() {
        return headers::ofCurrentContext;
    }

    /**
     * {@code handler}, each call inside a delivery span of consumer {@code consumer}.
     *
     * @param consumer the name the handler is registered under, for the span's name and attributes
     */
    public EventHandler tracedHandler(String consumer, EventHandler handler) {
        String name = consumerName(consumer);
        Objects.requireNonNull(handler, "handler");
        return batch -> spans.run(name, DeliverySpans.NO_PARTITION, false, batch, () -> handler.handle(batch));
    }

    /**
     * {@code handler}, each call inside a delivery span of consumer {@code consumer}, current while
     * the handler uses the relay's transaction (a JDBC instrumentation's spans are its children).
     *
     * @param consumer the name the handler is registered under, for the span's name and attributes
     */
    public TransactionalEventHandler tracedTransactional(String consumer, TransactionalEventHandler handler) {
        String name = consumerName(consumer);
        Objects.requireNonNull(handler, "handler");
        return (batch, connection) ->
                spans.run(name, DeliverySpans.NO_PARTITION, false, batch, () -> handler.handle(batch, connection));
    }

    /**
     * {@code handler}, whose sessions deliver each batch, and each re-drive's dead letters ({@link
     * SessionHandler.Session#redeliver}, span attribute {@code outbox.redelivery=true}), inside a
     * delivery span. The consumer's name and partition come from the session's {@link Lease}.
     * Opening and closing a session make no span.
     */
    public SessionHandler tracedSessions(SessionHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return lease -> new TracedSession(
                Objects.requireNonNull(handler.open(lease), "SessionHandler.open returned null"), lease);
    }

    /**
     * {@link OutboxConsumer#atLeastOnce(String, EventHandler)} with {@code handler} {@linkplain
     * #tracedHandler traced} under the same name.
     */
    public OutboxConsumer.Builder atLeastOnce(String name, EventHandler handler) {
        return OutboxConsumer.atLeastOnce(name, tracedHandler(name, handler));
    }

    /**
     * {@link OutboxConsumer#transactional(String, TransactionalEventHandler)} with {@code handler}
     * {@linkplain #tracedTransactional traced} under the same name.
     */
    public OutboxConsumer.Builder transactional(String name, TransactionalEventHandler handler) {
        return OutboxConsumer.transactional(name, tracedTransactional(name, handler));
    }

    /**
     * {@link OutboxConsumer#withSessions(String, SessionHandler)} with {@code handler} {@linkplain
     * #tracedSessions traced}.
     */
    public OutboxConsumer.Builder withSessions(String name, SessionHandler handler) {
        return OutboxConsumer.withSessions(name, tracedSessions(handler));
    }

    private static String consumerName(String consumer) {
        Objects.requireNonNull(consumer, "consumer");
        if (consumer.isBlank()) {
            throw new OutboxConfigurationException(
                    "tracing: consumer must be the name the handler is registered under, was blank");
        }
        return consumer;
    }

    /** A session whose deliveries run in spans; opening and closing are the delegate's own. */
    private final class TracedSession implements SessionHandler.Session {
        private final SessionHandler.Session delegate;
        private final String consumer;
        private final int partition;

        TracedSession(SessionHandler.Session delegate, Lease lease) {
            this.delegate = delegate;
            this.consumer = lease.consumer();
            this.partition = lease.partition();
        }

        @Override
        public void handle(List<OutboxRecord> batch) throws Exception {
            spans.run(consumer, partition, false, batch, () -> delegate.handle(batch));
        }

        @Override
        public void redeliver(List<OutboxRecord> deadLetters) throws Exception {
            // the delegate's own redeliver: a session that keeps a position downstream must not move it
            spans.run(consumer, partition, true, deadLetters, () -> delegate.redeliver(deadLetters));
        }

        @Override
        public void close() throws Exception {
            delegate.close();
        }
    }

    /** Builds an {@link OutboxTracing}. Not thread-safe; {@link #build()} validates. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private int maxLinks = DEFAULT_MAX_LINKS;

        private Builder(OpenTelemetry openTelemetry) {
            this.openTelemetry = openTelemetry;
        }

        /**
         * The most links a delivery span gets: one per distinct trace context among the batch's
         * records (the events of one transaction share one), in seq order; records past the limit
         * are not read. Default {@value OutboxTracing#DEFAULT_MAX_LINKS}; valid range 0 to {@value
         * OutboxTracing#MAX_LINKS_LIMIT}. With 0, a batch of one record is still its context's
         * child.
         */
        public Builder maxLinks(int maxLinks) {
            this.maxLinks = maxLinks;
            return this;
        }

        /**
         * @throws OutboxConfigurationException if a setting is out of range
         */
        public OutboxTracing build() {
            if (maxLinks < 0 || maxLinks > MAX_LINKS_LIMIT) {
                throw new OutboxConfigurationException(
                        "tracing: maxLinks must be in [0, " + MAX_LINKS_LIMIT + "], was " + maxLinks);
            }
            return new OutboxTracing(this);
        }
    }

    /** The module's version, named in the spans' instrumentation scope. */
    static final class ModuleVersion {
        static final String VERSION = read();

        private ModuleVersion() {}

        private static String read() {
            try (InputStream in = OutboxTracing.class.getResourceAsStream("outbox-opentelemetry.properties")) {
                if (in == null) {
                    return "unknown";
                }
                Properties properties = new Properties();
                properties.load(in);
                return properties.getProperty("version", "unknown");
            } catch (IOException e) {
                return "unknown"; // the version is a label; tracing works without it
            }
        }
    }
}
