package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxWriter;
import dev.outbox.RelayOptions;
import dev.outbox.StartPosition;
import dev.outbox.micrometer.OutboxMetrics;
import dev.outbox.opentelemetry.OutboxTracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * 10. What the operations modules cost: the drain of a backlog (sequencer and a no-op consumer, end
 * to end) with a relay bound to Micrometer ({@code outbox-micrometer}, sampling every second) and
 * with the handler traced ({@code outbox-opentelemetry}: a span per batch, linked to each event's
 * appending trace, exported in batches to an exporter that drops them); and the writer (4 clients,
 * one event per business transaction, each transaction inside a span, a relay draining meanwhile)
 * with that relay bound to Micrometer and with the writer's trace header source. Each figure is a
 * ratio to the plain variant of the same run; the variants are interleaved, their order reversed
 * every other run.
 */
final class OperationsBench {

    /** The drain's backlog: long enough for several sampler readings at one a second. */
    private static final long MAX_BACKLOG = 300_000;

    private static final int WRITER_CLIENTS = 4;

    /** What a run measures: the plain variant, with metrics bound, or traced. */
    private enum Variant {
        PLAIN,
        METRICS,
        TRACED
    }

    /** One measurement of {@code variant} (a shorter one to warm up). */
    @FunctionalInterface
    private interface Measure {
        double run(Variant variant, boolean warmUp) throws Exception;
    }

    private final BenchDb db;
    private final Mode mode;
    private final Report report;
    private final BusinessTx business;

    OperationsBench(BenchDb db, Mode mode, Report report) {
        this.db = db;
        this.mode = mode;
        this.report = report;
        this.business = new BusinessTx(db);
    }

    void run() throws Exception {
        System.out.println("[operations] " + db.label);
        try (OpenTelemetrySdk otel = openTelemetry()) {
            OutboxTracing tracing = OutboxTracing.create(otel);
            drain(tracing);
            write(otel, tracing);
        }
        db.reset();
    }

    private void drain(OutboxTracing tracing) throws Exception {
        long backlog = Math.min(mode.backlog(), MAX_BACKLOG);
        interleaved(
                "drain",
                String.format("%,d", backlog),
                "ev/s",
                Map.of(Variant.PLAIN, "plain", Variant.METRICS, "metrics bound", Variant.TRACED, "handler traced"),
                (variant, warmUp) -> drainOnce(variant, warmUp ? Math.min(backlog, 50_000) : backlog, tracing));
    }

    /** One drain of a fresh backlog; its events carry a {@code traceparent} when traced. */
    private double drainOnce(Variant variant, long events, OutboxTracing tracing) throws Exception {
        db.reset();
        db.fillQueue(1, events, 50_000);
        if (variant == Variant.TRACED) {
            // one appending trace per 1,000 events, as transactions of 1,000 events would leave
            db.execute("UPDATE " + db.event() + " SET headers = " + tracedHeadersSql());
        }
        try (HikariDataSource relayPool = db.newPool("relay-operations", 4)) {
            Relays.Counting counting = new Relays.Counting(events);
            OutboxConsumer consumer = variant == Variant.TRACED
                    ? tracing.atLeastOnce("drain", counting.handler())
                            .startFrom(StartPosition.BEGINNING)
                            .build()
                    : counting.consumer("drain");
            long start;
            try (OutboxRelay relay = Relays.relay(db, relayPool, RelayOptions.defaults(), consumer);
                    AutoCloseable metrics = variant == Variant.METRICS ? metrics(relay) : () -> {}) {
                start = System.nanoTime();
                relay.start();
                counting.await(900);
            }
            return events / ((counting.doneNanos - start) / 1e9);
        }
    }

    private void write(OpenTelemetry otel, OutboxTracing tracing) throws Exception {
        Tracer tracer = otel.getTracer("outbox-bench");
        OutboxWriter plain = OutboxWriter.builder(db.dialect).tables(db.tables).build();
        OutboxWriter traced = OutboxWriter.builder(db.dialect)
                .tables(db.tables)
                .headers(tracing.headerSource())
                .build();
        interleaved(
                "writer",
                WRITER_CLIENTS + " clients",
                "tx/s",
                Map.of(
                        Variant.PLAIN,
                        "plain",
                        Variant.METRICS,
                        "relay bound to metrics",
                        Variant.TRACED,
                        "trace header source"),
                (variant, warmUp) -> writeOnce(
                        variant,
                        variant == Variant.TRACED ? traced : plain,
                        tracer,
                        warmUp ? Math.max(1_000, mode.writerMillis() / 2) : mode.writerMillis()));
    }

    /**
     * Measures every variant once per run, after a warm-up, interleaved (their order reversed every
     * other run), and reports each one's figure and its ratio to the plain variant of the same run.
     */
    private void interleaved(String what, String scale, String unit, Map<Variant, String> labels, Measure measure)
            throws Exception {
        Map<Variant, Stats.Samples> rates = new EnumMap<>(Variant.class);
        Map<Variant, Stats.Samples> ratios = new EnumMap<>(Variant.class);
        for (Variant variant : Variant.values()) {
            rates.put(variant, new Stats.Samples());
            ratios.put(variant, new Stats.Samples());
            measure.run(variant, true);
        }
        for (int rep = 0; rep < mode.reps(); rep++) {
            List<Variant> order = new ArrayList<>(List.of(Variant.values()));
            if (rep % 2 == 1) {
                Collections.reverse(order);
            }
            Map<Variant, Double> run = new EnumMap<>(Variant.class);
            for (Variant variant : order) {
                run.put(variant, measure.run(variant, false));
            }
            for (Variant variant : Variant.values()) {
                rates.get(variant).add(run.get(variant));
                ratios.get(variant).add(run.get(variant) / run.get(Variant.PLAIN));
            }
        }
        String section = Report.Sections.OPERATIONS;
        for (Variant variant : Variant.values()) {
            report.add(
                    section,
                    db.label,
                    what + ", " + labels.get(variant) + ", " + scale,
                    rates.get(variant).stats(),
                    unit);
        }
        for (Variant variant : List.of(Variant.METRICS, Variant.TRACED)) {
            report.add(
                    section,
                    db.label,
                    what + ", " + labels.get(variant) + " / plain",
                    ratios.get(variant).stats(),
                    "x");
        }
    }

    /**
     * Business transactions with one event each, every one inside a span, for {@code millis}, while
     * a relay drains what they append (bound to metrics in that variant).
     */
    private double writeOnce(Variant variant, OutboxWriter writer, Tracer tracer, long millis) throws Exception {
        db.reset();
        Relays.Counting counting = new Relays.Counting(Long.MAX_VALUE);
        try (HikariDataSource relayPool = db.newPool("relay-operations", 4);
                OutboxRelay relay = Relays.relay(db, relayPool, RelayOptions.defaults(), counting.consumer("drain"))) {
            try (AutoCloseable metrics = variant == Variant.METRICS ? metrics(relay) : () -> {}) {
                relay.start();
                return Load.closedLoop(db.pool, WRITER_CLIENTS, millis, connection -> {
                    Span span = tracer.spanBuilder("place order").startSpan();
                    try (Scope scope = span.makeCurrent()) {
                        int account = business.businessWrites(connection);
                        writer.append(connection, BusinessTx.event("acct-" + account));
                    } finally {
                        span.end();
                    }
                });
            }
        }
    }

    private static AutoCloseable metrics(OutboxRelay relay) {
        return OutboxMetrics.builder(relay, new SimpleMeterRegistry())
                .samplingInterval(Duration.ofSeconds(1))
                .bind();
    }

    /**
     * An SDK with W3C propagation and a batch span processor feeding an exporter that drops the spans:
     * the spans are built and handed over as in production, without the cost of a real backend.
     */
    private static OpenTelemetrySdk openTelemetry() {
        SpanExporter dropping = new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(BatchSpanProcessor.builder(dropping).build())
                        .build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
    }

    /** The headers of a traced event, its trace id made from its position (a trace per 1,000). */
    private String tracedHeadersSql() {
        String traceId = db.isPostgres()
                ? "lpad(to_hex(position / 1000 + 1), 32, '0')"
                : "LPAD(HEX(position DIV 1000 + 1), 32, '0')";
        String concat = db.isPostgres()
                ? "'{\"traceparent\":\"00-' || " + traceId + " || '-00f067aa0ba902b7-01\"}'"
                : "CONCAT('{\"traceparent\":\"00-', " + traceId + ", '-00f067aa0ba902b7-01\"}')";
        return concat;
    }
}
