package dev.outbox.opentelemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Writes a trace context into event headers and reads it back, through one propagator. Neither
 * direction throws: tracing must never fail a business transaction nor a delivery, so a propagator
 * that throws is reported once (through {@link System.Logger}: this module depends on nothing but
 * the OpenTelemetry API) and treated as writing or finding nothing.
 */
final class TraceHeaders {

    private static final System.Logger LOG = System.getLogger(TraceHeaders.class.getName());

    private static final TextMapSetter<Map<String, String>> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.put(key, value);
        }
    };

    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public @Nullable String get(@Nullable Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final TextMapPropagator propagator;
    private final AtomicBoolean injectFailureReported = new AtomicBoolean();
    private final AtomicBoolean extractFailureReported = new AtomicBoolean();

    TraceHeaders(TextMapPropagator propagator) {
        this.propagator = propagator;
    }

    /**
     * The headers of the current context, or {@code null} when no valid span is current: baggage
     * alone, or a context the propagator would write without a trace, is not worth a header on
     * every event.
     */
    @Nullable
    Map<String, String> ofCurrentContext() {
        Context current = Context.current();
        if (!Span.fromContext(current).getSpanContext().isValid()) {
            return null;
        }
        Map<String, String> headers = new HashMap<>(4);
        try {
            propagator.inject(current, headers, SETTER);
        } catch (RuntimeException e) {
            if (injectFailureReported.compareAndSet(false, true)) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "outbox tracing: the propagator failed to write a trace context into event headers;"
                                + " events are appended without one (reported once)",
                        e);
            }
            return null;
        }
        return headers;
    }

    /**
     * The context the propagator reads from {@code headers}, on top of the root context (nothing of
     * the delivering thread's own context leaks in).
     */
    Context extract(Map<String, String> headers) {
        try {
            return propagator.extract(Context.root(), headers, GETTER);
        } catch (RuntimeException e) {
            if (extractFailureReported.compareAndSet(false, true)) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "outbox tracing: the propagator failed to read a trace context from event headers;"
                                + " such events are delivered without a link (reported once)",
                        e);
            }
            return Context.root();
        }
    }

    /** The span context of {@code context}, valid or not. */
    static SpanContext spanContext(Context context) {
        return Span.fromContext(context).getSpanContext();
    }
}
