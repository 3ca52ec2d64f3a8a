package dev.outbox.opentelemetry;

import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.EventHandler;
import dev.outbox.Lease;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxTables;
import dev.outbox.PartialSuccessException;
import dev.outbox.SessionHandler;
import dev.outbox.TransactionalEventHandler;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The wrappers and the header source called directly, without a database or a relay. */
class OutboxTracingUnitTest {

    private final RecordingOpenTelemetry otel = new RecordingOpenTelemetry();
    private final OutboxTracing tracing = OutboxTracing.create(otel.sdk);
    private long nextSeq = 1;

    @AfterEach
    void closeSdk() {
        otel.close();
    }

    /** A log entry whose headers carry the current trace context, as the writer would append it. */
    private OutboxRecord appendedNow() {
        Map<String, String> headers = tracing.headerSource().headers();
        return entry(headers == null ? Map.of() : headers);
    }

    private OutboxRecord entry(Map<String, String> headers) {
        Instant now = Instant.now();
        return new OutboxRecord(nextSeq++, UUID.randomUUID(), "order", "o-1", "OrderPlaced", "{}", headers, now, now);
    }

    private SpanData onlyDeliverySpan(String consumer) {
        List<SpanData> spans = otel.spans("outbox process " + consumer);
        assertThat(spans).hasSize(1);
        return spans.get(0);
    }

    @Test
    void theHeaderSourceWritesTheCurrentSpansTraceparentAndNothingWithoutOne() {
        assertThat(tracing.headerSource().headers()).isNull();

        AtomicReference<Map<String, String>> inSpan = new AtomicReference<>();
        SpanContext span =
                otel.inSpan("work", () -> inSpan.set(tracing.headerSource().headers()));

        assertThat(inSpan.get()).containsExactly(Map.entry("traceparent", RecordingOpenTelemetry.traceparent(span)));
    }

    @Test
    void theHeaderSourceOfANoopOpenTelemetryWritesNothing() {
        OutboxTracing noop = OutboxTracing.create(OpenTelemetry.noop());
        AtomicReference<@Nullable Map<String, String>> inSpan = new AtomicReference<>();

        otel.inSpan("work", () -> inSpan.set(noop.headerSource().headers()));

        assertThat(inSpan.get()).isNullOrEmpty();
    }

    @Test
    void whatTheHandlerThrowsIsRethrownAsTheSameInstance() {
        List<Throwable> failures = List.of(
                new IllegalStateException("plain"),
                new Exception("checked"),
                new PartialSuccessException(1, new IllegalStateException("second")),
                new AssertionError("an error"));
        for (Throwable failure : failures) {
            EventHandler handler = tracing.tracedHandler("rethrow", batch -> {
                if (failure instanceof Exception e) {
                    throw e;
                }
                throw (Error) failure;
            });
            assertThatThrownBy(() -> handler.handle(List.of(entry(Map.of()), entry(Map.of()))))
                    .isSameAs(failure);
        }
        List<SpanData> spans = otel.spans("outbox process rethrow");
        assertThat(spans)
                .hasSize(failures.size())
                .allSatisfy(span -> assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR));
        assertThat(spans)
                .extracting(span -> span.getAttributes().get(stringKey("error.type")))
                .containsExactly(
                        IllegalStateException.class.getName(),
                        Exception.class.getName(),
                        PartialSuccessException.class.getName(),
                        AssertionError.class.getName());
    }

    @Test
    void aBatchLinksEachDistinctContextOnceUpToMaxLinks() throws Exception {
        List<OutboxRecord> batch = new ArrayList<>();
        List<SpanContext> appending = new ArrayList<>();
        for (int transaction = 0; transaction < 4; transaction++) {
            appending.add(otel.inSpan("transaction-" + transaction, () -> {
                batch.add(appendedNow());
                batch.add(appendedNow());
            }));
        }
        OutboxTracing capped = OutboxTracing.builder(otel.sdk).maxLinks(3).build();

        tracing.tracedHandler("all", records -> {}).handle(batch);
        capped.tracedHandler("capped", records -> {}).handle(batch);

        assertThat(onlyDeliverySpan("all").getLinks())
                .extracting(link -> link.getSpanContext().getSpanId())
                .containsExactlyElementsOf(
                        appending.stream().map(SpanContext::getSpanId).toList());
        assertThat(onlyDeliverySpan("capped").getLinks())
                .extracting(link -> link.getSpanContext().getSpanId())
                .containsExactlyElementsOf(
                        appending.stream().limit(3).map(SpanContext::getSpanId).toList());
    }

    @Test
    void withNoLinksASingleRecordIsStillItsContextsChild() throws Exception {
        AtomicReference<OutboxRecord> record = new AtomicReference<>();
        SpanContext appending = otel.inSpan("transaction", () -> record.set(appendedNow()));

        OutboxTracing.builder(otel.sdk)
                .maxLinks(0)
                .build()
                .tracedHandler("unlinked", batch -> {})
                .handle(List.of(record.get()));

        SpanData span = onlyDeliverySpan("unlinked");
        assertThat(span.getLinks()).isEmpty();
        assertThat(span.getParentSpanId()).isEqualTo(appending.getSpanId());
    }

    @Test
    void aBatchSpanDoesNotJoinTheTraceOfTheCallingThread() {
        List<OutboxRecord> batch = List.of(entry(Map.of()), entry(Map.of()));

        SpanContext ambient = otel.inSpan("ambient", () -> {
            try {
                tracing.tracedHandler("detached", records -> {}).handle(batch);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });

        SpanData span = onlyDeliverySpan("detached");
        assertThat(span.getParentSpanContext().isValid()).isFalse();
        assertThat(span.getTraceId()).isNotEqualTo(ambient.getTraceId());
    }

    @Test
    void aPropagatorThatThrowsNeitherFailsTheAppendNorTheDelivery() throws Exception {
        TextMapPropagator broken = new TextMapPropagator() {
            @Override
            public List<String> fields() {
                return List.of("traceparent");
            }

            @Override
            public <C> void inject(Context context, @Nullable C carrier, TextMapSetter<C> setter) {
                throw new IllegalStateException("broken propagator");
            }

            @Override
            public <C> Context extract(Context context, @Nullable C carrier, TextMapGetter<C> getter) {
                throw new IllegalStateException("broken propagator");
            }
        };
        OutboxTracing brokenTracing =
                OutboxTracing.create(OpenTelemetry.propagating(ContextPropagators.create(broken)));
        AtomicReference<@Nullable Map<String, String>> headers = new AtomicReference<>(Map.of("unset", ""));
        AtomicInteger handled = new AtomicInteger();

        otel.inSpan("work", () -> headers.set(brokenTracing.headerSource().headers()));
        brokenTracing
                .tracedHandler("broken", batch -> handled.addAndGet(batch.size()))
                .handle(List.of(entry(Map.of("traceparent", "x")), entry(Map.of("traceparent", "y"))));

        assertThat(headers.get()).isNull();
        assertThat(handled).hasValue(2);
    }

    @Test
    void aTracedSessionDelegatesOpenRedeliverAndClose() throws Exception {
        List<String> calls = new ArrayList<>();
        SessionHandler traced = tracing.tracedSessions(lease -> {
            calls.add("open " + lease.consumer());
            return new SessionHandler.Session() {
                @Override
                public void handle(List<OutboxRecord> batch) {
                    calls.add("handle");
                }

                @Override
                public void redeliver(List<OutboxRecord> deadLetters) {
                    calls.add("redeliver");
                }

                @Override
                public void close() {
                    calls.add("close");
                }
            };
        });
        Lease lease = new Lease(OutboxTables.defaults(), "sessions", 2, 4, "relay-1", 7, 0, 0);

        try (SessionHandler.Session session = traced.open(lease)) {
            session.handle(List.of(entry(Map.of())));
            session.redeliver(List.of(entry(Map.of())));
        }

        assertThat(calls).containsExactly("open sessions", "handle", "redeliver", "close");
        assertThat(otel.spans("outbox process sessions"))
                .extracting(span -> span.getAttributes().get(stringKey("messaging.destination.partition.id")))
                .containsExactly("2", "2");
        SessionHandler returnsNull = tracing.tracedSessions(l -> null);
        assertThatThrownBy(() -> returnsNull.open(lease))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("SessionHandler.open returned null");
    }

    @Test
    void aTracedTransactionalHandlerGetsTheRelaysConnection() throws Exception {
        List<Object> connections = new ArrayList<>();
        TransactionalEventHandler traced =
                tracing.tracedTransactional("tx", (batch, connection) -> connections.add(connection));

        traced.handle(List.of(entry(Map.of())), null);

        assertThat(connections).hasSize(1);
        assertThat(otel.spans("outbox process tx")).hasSize(1);
    }

    @Test
    void settingsOutOfRangeAreRefusedWithTheSettingsName() {
        assertThatThrownBy(() -> OutboxTracing.builder(otel.sdk).maxLinks(-1).build())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessage("tracing: maxLinks must be in [0, 10000], was -1");
        assertThatThrownBy(
                        () -> OutboxTracing.builder(otel.sdk).maxLinks(10_001).build())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("was 10001");
        assertThatThrownBy(() -> tracing.tracedHandler(" ", batch -> {}))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("consumer must be the name the handler is registered under");
        assertThatThrownBy(() -> tracing.atLeastOnce("not a name!", batch -> {}).build())
                .isInstanceOf(OutboxConfigurationException.class);
        assertThatThrownBy(() -> OutboxTracing.create(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void theSpansNameTheirInstrumentationScopeAndTheModulesVersion() throws Exception {
        tracing.tracedHandler("scope", batch -> {}).handle(List.of(entry(new HashMap<>())));

        SpanData span = onlyDeliverySpan("scope");
        assertThat(span.getInstrumentationScopeInfo().getName()).isEqualTo("dev.outbox.opentelemetry");
        assertThat(span.getInstrumentationScopeInfo().getVersion()).isEqualTo(System.getProperty("module.version"));
    }
}
