package dev.outbox.opentelemetry;

import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.ConsumerStatus;
import dev.outbox.EventHandler;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxWriter;
import dev.outbox.PartialSuccessException;
import dev.outbox.RetryPolicy;
import dev.outbox.SessionHandler;
import dev.outbox.StartPosition;
import dev.outbox.TransactionalEventHandler;
import dev.outbox.spi.OutboxDialect;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Trace propagation end to end on a real database: a writer with {@link
 * OutboxTracing#headerSource()}, a running relay whose handlers are wrapped, and the spans the SDK
 * recorded. A subclass names the database.
 */
abstract class OutboxTracingTest extends TracingTestBase {

    private static final RetryPolicy FAST_RETRIES = RetryPolicy.of(Duration.ofMillis(5), Duration.ofMillis(20), 2);

    private static OutboxEvent event(String orderId) {
        return OutboxEvent.of("order", orderId, "OrderPlaced", "{\"id\":\"" + orderId + "\"}");
    }

    @Test
    void aSingleEventBatchIsAChildOfTheSpanThatAppendedItAndLinksToIt() {
        List<OutboxRecord> delivered = new CopyOnWriteArrayList<>();
        startRelay(tracing.atLeastOnce("single", delivered::addAll)
                .startFrom(StartPosition.BEGINNING)
                .build());
        SpanContext appending = otel.inSpan("place-order", () -> appendCommitted(event("o-1")));

        SpanData span = awaitDeliverySpans("single", 1).get(0);

        assertThat(span.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(span.getTraceId()).isEqualTo(appending.getTraceId());
        assertThat(span.getParentSpanId()).isEqualTo(appending.getSpanId());
        assertThat(span.getParentSpanContext().isRemote()).isTrue();
        assertThat(span.getLinks()).singleElement().satisfies(link -> {
            assertThat(link.getSpanContext().getTraceId()).isEqualTo(appending.getTraceId());
            assertThat(link.getSpanContext().getSpanId()).isEqualTo(appending.getSpanId());
            assertThat(link.getAttributes().get(longKey("outbox.seq"))).isEqualTo(1L);
        });
        assertThat(span.getAttributes().get(stringKey("messaging.system"))).isEqualTo("outbox");
        assertThat(span.getAttributes().get(stringKey("messaging.operation.type")))
                .isEqualTo("process");
        assertThat(span.getAttributes().get(stringKey("messaging.consumer.group.name")))
                .isEqualTo("single");
        assertThat(span.getAttributes().get(longKey("messaging.batch.message_count")))
                .isEqualTo(1L);
        assertThat(span.getAttributes().get(stringKey("messaging.message.id")))
                .isEqualTo(delivered.get(0).eventId().toString());
        assertThat(span.getAttributes().get(longKey("outbox.seq.first"))).isEqualTo(1L);
        assertThat(span.getAttributes().get(longKey("outbox.seq.last"))).isEqualTo(1L);
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    }

    @Test
    void aBatchSpanLinksOnceToEachTransactionThatAppendedItsEventsAndStartsATraceOfItsOwn() {
        SpanContext placing = otel.inSpan("place-orders", () -> appendCommitted(event("o-1"), event("o-2")));
        SpanContext paying = otel.inSpan("pay-order", () -> appendCommitted(event("o-1")));
        appendCommitted(event("o-3")); // no span current: nothing to link
        List<List<OutboxRecord>> batches = new CopyOnWriteArrayList<>();
        // started after the appends, so that the four events are sequenced, and read, as one batch
        startRelay(tracing.atLeastOnce("batch", batches::add)
                .startFrom(StartPosition.BEGINNING)
                .build());

        SpanData span = awaitDeliverySpans("batch", 1).get(0);

        assertThat(batches).hasSize(1);
        assertThat(batches.get(0)).hasSize(4);
        assertThat(span.getParentSpanContext().isValid()).isFalse();
        assertThat(span.getTraceId()).isNotIn(placing.getTraceId(), paying.getTraceId());
        assertThat(span.getLinks())
                .extracting(link -> link.getSpanContext().getSpanId())
                .containsExactly(placing.getSpanId(), paying.getSpanId());
        assertThat(span.getLinks())
                .extracting(link -> link.getSpanContext().getTraceId())
                .containsExactly(placing.getTraceId(), paying.getTraceId());
        assertThat(span.getLinks())
                .extracting(link -> link.getAttributes().get(longKey("outbox.seq")))
                .containsExactly(1L, 3L);
        assertThat(span.getLinks())
                .extracting(link -> link.getAttributes().get(stringKey("messaging.message.id")))
                .containsExactly(
                        batches.get(0).get(0).eventId().toString(),
                        batches.get(0).get(2).eventId().toString());
        assertThat(span.getAttributes().get(longKey("messaging.batch.message_count")))
                .isEqualTo(4L);
        assertThat(span.getAttributes().get(longKey("outbox.seq.first"))).isEqualTo(1L);
        assertThat(span.getAttributes().get(longKey("outbox.seq.last"))).isEqualTo(4L);
        assertThat(span.getAttributes().get(stringKey("messaging.message.id"))).isNull();
    }

    @Test
    void theEventHeadersInTheLogCarryTheTraceparentAndTracestateOfTheAppendingSpan() {
        Context remoteCaller = Context.root()
                .with(Span.wrap(SpanContext.createFromRemoteParent(
                        "0af7651916cd43dd8448eb211c80319c",
                        "b7ad6b7169203331",
                        TraceFlags.getSampled(),
                        TraceState.builder().put("vendor", "opaque").build())));
        SpanContext appending = otel.inSpan(
                "place-order",
                remoteCaller,
                () -> appendCommitted(event("o-1").withHeader("content-type", "application/json")));
        startRelay(tracing.atLeastOnce("headers", batch -> {})
                .startFrom(StartPosition.BEGINNING)
                .build());
        awaitDeliverySpans("headers", 1);

        Map<String, String> headers = tools().log().entry(1).orElseThrow().headers();

        assertThat(headers)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "traceparent",
                        "00-0af7651916cd43dd8448eb211c80319c-" + appending.getSpanId() + "-"
                                + appending.getTraceFlags().asHex(),
                        "tracestate",
                        "vendor=opaque",
                        "content-type",
                        "application/json"));
    }

    @Test
    void nothingIsAddedToTheHeadersWithoutACurrentSpanOrThroughANoopOpenTelemetry() {
        OutboxWriter noopWriter = OutboxWriter.builder(dialect())
                .tables(tables)
                .headers(OutboxTracing.create(OpenTelemetry.noop()).headerSource())
                .build();
        appendCommitted(event("o-1").withHeader("content-type", "application/json")); // no span current
        otel.inSpan(
                "place-order",
                () -> noopWriter.inTransaction(dataSource, tx -> {
                    tx.append(event("o-2"));
                    return null;
                }));
        SpanContext traced = otel.inSpan("pay-order", () -> appendCommitted(event("o-3")));
        startRelay(tracing.atLeastOnce("untraced", batch -> {})
                .startFrom(StartPosition.BEGINNING)
                .batchSize(1)
                .build());

        List<SpanData> spans = awaitDeliverySpans("untraced", 3);

        List<OutboxRecord> log = tools().log().read(1, 10);
        assertThat(log)
                .extracting(OutboxRecord::headers)
                .containsExactly(
                        Map.of("content-type", "application/json"),
                        Map.of(),
                        Map.of("traceparent", RecordingOpenTelemetry.traceparent(traced)));
        // without a context to continue, a delivery span starts a trace of its own and links nowhere
        assertThat(spans.subList(0, 2)).allSatisfy(span -> {
            assertThat(span.getParentSpanContext().isValid()).isFalse();
            assertThat(span.getLinks()).isEmpty();
        });
        assertThat(spans.get(2).getParentSpanId()).isEqualTo(traced.getSpanId());
    }

    @Test
    void spansTheHandlerStartsAreChildrenOfTheBatchSpan() {
        List<SpanContext> currentInHandler = new CopyOnWriteArrayList<>();
        startRelay(tracing.atLeastOnce("nested", batch -> {
                    currentInHandler.add(Span.current().getSpanContext());
                    otel.tracer.spanBuilder("index-document").startSpan().end();
                })
                .startFrom(StartPosition.BEGINNING)
                .build());
        SpanContext appending = otel.inSpan("place-order", () -> appendCommitted(event("o-1")));

        SpanData batchSpan = awaitDeliverySpans("nested", 1).get(0);

        SpanData child = otel.spans("index-document").get(0);
        assertThat(child.getParentSpanId()).isEqualTo(batchSpan.getSpanId());
        assertThat(child.getTraceId()).isEqualTo(appending.getTraceId());
        assertThat(currentInHandler)
                .singleElement()
                .satisfies(current -> assertThat(current.getSpanId()).isEqualTo(batchSpan.getSpanId()));
    }

    @Test
    void aFailingHandlerMarksItsSpanAsAnErrorAndTheConsumerBlocksAsWithoutTracing() {
        OutboxRelay relay = startRelay(tracing.atLeastOnce("failing", batch -> {
                    throw new IllegalStateException("the search index refused the document");
                })
                .startFrom(StartPosition.BEGINNING)
                .retryPolicy(FAST_RETRIES)
                .build());
        SpanContext appending = otel.inSpan("place-order", () -> appendCommitted(event("o-1")));

        await().atMost(TIMEOUT).until(() -> relay.status("failing").state() == ConsumerStatus.State.BLOCKED);

        ConsumerStatus status = relay.status("failing");
        assertThat(status.blockedAtSeq()).isEqualTo(1L);
        assertThat(status.checkpoint()).isZero();
        assertThat(status.lastError())
                .contains(IllegalStateException.class.getName())
                .contains("the search index refused the document");
        List<SpanData> spans = awaitDeliverySpans("failing", 2);
        assertThat(spans).allSatisfy(span -> {
            assertThat(span.getParentSpanId()).isEqualTo(appending.getSpanId());
            assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(span.getAttributes().get(stringKey("error.type")))
                    .isEqualTo(IllegalStateException.class.getName());
            assertThat(span.getEvents()).singleElement().satisfies(event -> {
                assertThat(event.getName()).isEqualTo("exception");
                assertThat(event.getAttributes().get(stringKey("exception.type")))
                        .isEqualTo(IllegalStateException.class.getName());
                assertThat(event.getAttributes().get(stringKey("exception.message")))
                        .isEqualTo("the search index refused the document");
            });
        });
    }

    @Test
    void aPartialSuccessReachesTheRelayUnchanged() {
        AtomicBoolean failedOnce = new AtomicBoolean();
        List<Long> processed = new CopyOnWriteArrayList<>();
        EventHandler handler = batch -> {
            if (batch.size() == 3 && failedOnce.compareAndSet(false, true)) {
                processed.add(batch.get(0).seq());
                processed.add(batch.get(1).seq());
                throw new PartialSuccessException(2, new IllegalStateException("the third was refused"));
            }
            batch.forEach(record -> processed.add(record.seq()));
        };
        SpanContext appending =
                otel.inSpan("place-orders", () -> appendCommitted(event("o-1"), event("o-2"), event("o-3")));
        startRelay(tracing.atLeastOnce("partial", handler)
                .startFrom(StartPosition.BEGINNING)
                .retryPolicy(FAST_RETRIES)
                .build());

        await().atMost(TIMEOUT).until(() -> processed.contains(3L));
        List<SpanData> spans = awaitDeliverySpans("partial", 2);

        // understood as a partial success: 1 and 2 are not delivered again, 3 is retried alone (a
        // wrapped exception would be a plain failure, and the relay would bisect the batch from 1)
        assertThat(processed).containsExactly(1L, 2L, 3L);
        assertThat(spans.get(0).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(spans.get(0).getAttributes().get(longKey("outbox.processed")))
                .isEqualTo(2L);
        assertThat(spans.get(0).getAttributes().get(longKey("messaging.batch.message_count")))
                .isEqualTo(3L);
        assertThat(spans.get(1).getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(spans.get(1).getAttributes().get(longKey("outbox.seq.first")))
                .isEqualTo(3L);
        assertThat(spans.get(1).getParentSpanId()).isEqualTo(appending.getSpanId());
    }

    @Test
    void aTransactionalHandlerUsesTheRelaysTransactionInsideItsSpan() {
        List<SpanContext> currentInHandler = new CopyOnWriteArrayList<>();
        OutboxRelay relay = startRelay(tracing.transactional("read-model", (batch, connection) -> {
                    currentInHandler.add(Span.current().getSpanContext());
                    try (PreparedStatement statement = connection.prepareStatement("SELECT 1")) {
                        statement.execute();
                    }
                    otel.tracer.spanBuilder("update-read-model").startSpan().end();
                })
                .startFrom(StartPosition.BEGINNING)
                .build());
        SpanContext appending = otel.inSpan("place-order", () -> appendCommitted(event("o-1")));

        SpanData span = awaitDeliverySpans("read-model", 1).get(0);

        await().atMost(TIMEOUT).until(() -> relay.status("read-model").checkpoint() == 1);
        assertThat(span.getParentSpanId()).isEqualTo(appending.getSpanId());
        assertThat(span.getLinks())
                .extracting(link -> link.getSpanContext().getSpanId())
                .containsExactly(appending.getSpanId());
        assertThat(currentInHandler)
                .singleElement()
                .satisfies(current -> assertThat(current.getSpanId()).isEqualTo(span.getSpanId()));
        assertThat(otel.spans("update-read-model"))
                .singleElement()
                .satisfies(child -> assertThat(child.getParentSpanId()).isEqualTo(span.getSpanId()));
    }

    @Test
    void aRedrivenDeadLetterIsDeliveredInASpanThatContinuesItsTrace() {
        AtomicBoolean refuse = new AtomicBoolean(true);
        OutboxRelay relay = startRelay(tracing.atLeastOnce("redriven", batch -> {
                    if (refuse.get()) {
                        throw new IllegalStateException("refused");
                    }
                })
                .startFrom(StartPosition.BEGINNING)
                .retryPolicy(FAST_RETRIES)
                .failurePolicy(FailurePolicy.PARK)
                .build());
        SpanContext appending = otel.inSpan("place-order", () -> appendCommitted(event("o-1")));
        await().atMost(TIMEOUT).until(() -> relay.deadLetters().list("redriven").size() == 1);
        int failedAttempts = otel.spans("outbox process redriven").size();

        refuse.set(false);
        assertThat(relay.deadLetters().redrive("redriven", 1)).isTrue();

        SpanData redelivery = awaitDeliverySpans("redriven", failedAttempts + 1).get(failedAttempts);
        await().atMost(TIMEOUT).until(() -> relay.deadLetters().list("redriven").isEmpty());
        assertThat(redelivery.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(redelivery.getParentSpanId()).isEqualTo(appending.getSpanId());
        assertThat(redelivery.getAttributes().get(longKey("outbox.seq.first"))).isEqualTo(1L);
    }

    @Test
    void aSessionsBatchesAndRedeliveriesRunInsideSpans() {
        AtomicBoolean refuse = new AtomicBoolean(true);
        List<String> calls = new CopyOnWriteArrayList<>();
        SessionHandler sessions = lease -> new SessionHandler.Session() {
            @Override
            public void handle(List<OutboxRecord> batch) {
                calls.add("handle " + batch.get(0).seq() + " in "
                        + Span.current().getSpanContext().getSpanId());
                if (refuse.get()) {
                    throw new IllegalStateException("the downstream refused");
                }
            }

            @Override
            public void redeliver(List<OutboxRecord> deadLetters) {
                calls.add("redeliver " + deadLetters.get(0).seq() + " in "
                        + Span.current().getSpanContext().getSpanId());
            }
        };
        OutboxRelay relay = startRelay(tracing.withSessions("to-downstream", sessions)
                .startFrom(StartPosition.BEGINNING)
                .retryPolicy(FAST_RETRIES)
                .failurePolicy(FailurePolicy.PARK)
                .build());
        SpanContext appending = otel.inSpan("place-order", () -> appendCommitted(event("o-1")));
        await().atMost(TIMEOUT)
                .until(() -> relay.deadLetters().list("to-downstream").size() == 1);

        refuse.set(false);
        relay.deadLetters().redrive("to-downstream", 1);
        await().atMost(TIMEOUT)
                .until(() -> otel.spans("outbox process to-downstream").stream()
                        .anyMatch(span -> span.getAttributes().get(booleanKey("outbox.redelivery")) != null));

        List<SpanData> spans = otel.spans("outbox process to-downstream");
        SpanData redelivery = spans.get(spans.size() - 1);
        assertThat(redelivery.getAttributes().get(booleanKey("outbox.redelivery")))
                .isTrue();
        assertThat(redelivery.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(redelivery.getParentSpanId()).isEqualTo(appending.getSpanId());
        assertThat(calls).last().isEqualTo("redeliver 1 in " + redelivery.getSpanId());
        List<SpanData> failed = spans.subList(0, spans.size() - 1);
        assertThat(failed).allSatisfy(span -> {
            assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(span.getAttributes().get(booleanKey("outbox.redelivery")))
                    .isNull();
            assertThat(span.getEvents()).extracting(EventData::getName).containsExactly("exception");
        });
        assertThat(spans).allSatisfy(span -> {
            assertThat(span.getAttributes().get(stringKey("messaging.consumer.group.name")))
                    .isEqualTo("to-downstream");
            assertThat(span.getAttributes().get(stringKey("messaging.destination.partition.id")))
                    .isEqualTo("0");
        });
        assertThat(calls.subList(0, failed.size()))
                .containsExactlyElementsOf(failed.stream()
                        .map(span -> "handle 1 in " + span.getSpanId())
                        .toList());
    }

    @Test
    void theReadmesSetUpCarriesTheTraceOfAnOrderToEachHandler() throws Exception {
        OpenTelemetry openTelemetry = otel.sdk;
        OutboxDialect dialect = dialect();
        List<String> indexed = new CopyOnWriteArrayList<>();
        EventHandler searchIndex = batch -> batch.forEach(record -> indexed.add(record.aggregateId()));
        TransactionalEventHandler orderCounts = (batch, connection) -> {
            try (PreparedStatement statement = connection.prepareStatement("SELECT 1")) {
                statement.execute();
            }
        };
        // [readme:writer]
        OutboxTracing tracing = OutboxTracing.create(openTelemetry);
        OutboxWriter writer = OutboxWriter.builder(dialect)
                .tables(tables)
                .headers(tracing.headerSource()) // the current trace context, into every event appended
                .build();
        // [readme:end]
        // [readme:consumers]
        OutboxRelay relay = OutboxRelay.builder(dataSource, dialect)
                .tables(tables)
                .consumer(tracing.atLeastOnce("search-index", searchIndex).build())
                .consumer(OutboxConsumer.transactional(
                                "order-counts", tracing.tracedTransactional("order-counts", orderCounts))
                        .build())
                .build();
        // [readme:end]
        closeAfterTest(relay).start();
        Tracer tracer = openTelemetry.getTracer("shop");
        // [readme:business]
        Span span = tracer.spanBuilder("place order").startSpan(); // usually your HTTP server's span
        try (Scope ignored = span.makeCurrent()) {
            writer.inTransaction(dataSource, tx -> {
                // the business writes, on tx.connection(), then:
                tx.append(OutboxEvent.of("order", "o-42", "OrderPlaced", "{\"total\":42}"));
                return null;
            });
        } finally {
            span.end();
        }
        // [readme:end]

        SpanData indexing = awaitDeliverySpans("search-index", 1).get(0);
        SpanData counting = awaitDeliverySpans("order-counts", 1).get(0);

        assertThat(indexed).containsExactly("o-42");
        assertThat(List.of(indexing, counting)).allSatisfy(delivery -> {
            assertThat(delivery.getTraceId()).isEqualTo(span.getSpanContext().getTraceId());
            assertThat(delivery.getParentSpanId())
                    .isEqualTo(span.getSpanContext().getSpanId());
        });
    }
}
