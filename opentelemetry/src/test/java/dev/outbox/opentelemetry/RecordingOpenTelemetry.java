package dev.outbox.opentelemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;

/**
 * An OpenTelemetry SDK with the W3C trace context propagator whose spans are kept in memory as they
 * end (a simple span processor exports each at its end, on the thread that ends it).
 */
final class RecordingOpenTelemetry implements AutoCloseable {

    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    final Tracer tracer = sdk.getTracer("outbox-tests");

    /** The spans ended so far, in the order they ended. */
    List<SpanData> spans() {
        return exporter.getFinishedSpanItems();
    }

    /** The ended spans named {@code name}. */
    List<SpanData> spans(String name) {
        return spans().stream().filter(span -> span.getName().equals(name)).toList();
    }

    /** Runs {@code work} inside a new span (a child of {@code parent}) and returns the span's context. */
    SpanContext inSpan(String name, Context parent, Runnable work) {
        Span span = tracer.spanBuilder(name).setParent(parent).startSpan();
        try (Scope ignored = parent.with(span).makeCurrent()) {
            work.run();
        } finally {
            span.end();
        }
        return span.getSpanContext();
    }

    /** Runs {@code work} inside a new span of a trace of its own and returns the span's context. */
    SpanContext inSpan(String name, Runnable work) {
        return inSpan(name, Context.root(), work);
    }

    /**
     * The W3C {@code traceparent} of {@code span}. Its flags are the span's: sampled, and with newer SDKs
     * also "random trace id" (03 where older ones write 01).
     */
    static String traceparent(SpanContext span) {
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-"
                + span.getTraceFlags().asHex();
    }

    @Override
    public void close() {
        sdk.close();
    }
}
