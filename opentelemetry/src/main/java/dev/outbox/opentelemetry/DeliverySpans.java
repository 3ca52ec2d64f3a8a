package dev.outbox.opentelemetry;

import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

import dev.outbox.OutboxRecord;
import dev.outbox.PartialSuccessException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Runs handler calls inside delivery spans: see {@link OutboxTracing} for what a span holds. */
final class DeliverySpans {

    /** The partition of a handler that is not told its partition (all but session handlers). */
    static final int NO_PARTITION = -1;

    static final AttributeKey<String> MESSAGING_SYSTEM = stringKey("messaging.system");
    static final AttributeKey<String> MESSAGING_OPERATION_TYPE = stringKey("messaging.operation.type");
    static final AttributeKey<String> MESSAGING_OPERATION_NAME = stringKey("messaging.operation.name");
    static final AttributeKey<String> MESSAGING_CONSUMER_GROUP = stringKey("messaging.consumer.group.name");
    static final AttributeKey<Long> MESSAGING_BATCH_COUNT = longKey("messaging.batch.message_count");
    static final AttributeKey<String> MESSAGING_MESSAGE_ID = stringKey("messaging.message.id");
    static final AttributeKey<String> MESSAGING_PARTITION = stringKey("messaging.destination.partition.id");
    static final AttributeKey<String> ERROR_TYPE = stringKey("error.type");
    static final AttributeKey<Long> SEQ_FIRST = longKey("outbox.seq.first");
    static final AttributeKey<Long> SEQ_LAST = longKey("outbox.seq.last");
    static final AttributeKey<Boolean> REDELIVERY = booleanKey("outbox.redelivery");
    static final AttributeKey<Long> PROCESSED = longKey("outbox.processed");
    /** On a link: the seq of the first record of the batch that carries the linked context. */
    static final AttributeKey<Long> SEQ = longKey("outbox.seq");

    static final String SYSTEM = "outbox";
    static final String PROCESS = "process";

    /** A handler call. */
    @FunctionalInterface
    interface Call {
        void run() throws Exception;
    }

    private final Tracer tracer;
    private final TraceHeaders headers;
    private final int maxLinks;

    DeliverySpans(Tracer tracer, TraceHeaders headers, int maxLinks) {
        this.tracer = tracer;
        this.headers = headers;
        this.maxLinks = maxLinks;
    }

    /**
     * Runs {@code call} inside a span for {@code batch}, current while it runs, and rethrows what it
     * throws unchanged (the relay decides what a failure means: a {@link PartialSuccessException}'s
     * count, a downstream that is unavailable).
     */
    void run(String consumer, int partition, boolean redelivery, List<OutboxRecord> batch, Call call) throws Exception {
        SpanBuilder builder = tracer.spanBuilder("outbox " + PROCESS + " " + consumer)
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute(MESSAGING_SYSTEM, SYSTEM)
                .setAttribute(MESSAGING_OPERATION_TYPE, PROCESS)
                .setAttribute(MESSAGING_OPERATION_NAME, PROCESS)
                .setAttribute(MESSAGING_CONSUMER_GROUP, consumer)
                .setAttribute(MESSAGING_BATCH_COUNT, (long) batch.size());
        if (!batch.isEmpty()) {
            builder.setAttribute(SEQ_FIRST, batch.get(0).seq())
                    .setAttribute(SEQ_LAST, batch.get(batch.size() - 1).seq());
        }
        if (batch.size() == 1) {
            builder.setAttribute(MESSAGING_MESSAGE_ID, batch.get(0).eventId().toString());
        }
        if (partition != NO_PARTITION) {
            builder.setAttribute(MESSAGING_PARTITION, Integer.toString(partition));
        }
        if (redelivery) {
            builder.setAttribute(REDELIVERY, true);
        }
        Context parent = parentAndLinks(builder, batch);
        Span span = builder.setParent(parent).startSpan();
        try (Scope ignored = parent.with(span).makeCurrent()) {
            call.run();
        } catch (Throwable failure) {
            failed(span, failure);
            throw failure;
        } finally {
            span.end();
        }
    }

    /**
     * Adds a link to each distinct valid context found in the records' headers (up to {@code
     * maxLinks}; the events of one transaction share one context, and a link per record would repeat
     * it), and returns the parent of the span: the context of a batch of one record, when it has a
     * valid one; the root context otherwise, so that a batch span starts a trace of its own rather
     * than join whatever the relay's thread holds.
     */
    private Context parentAndLinks(SpanBuilder builder, List<OutboxRecord> batch) {
        if (batch.size() == 1) {
            OutboxRecord only = batch.get(0);
            Context extracted = headers.extract(only.headers());
            SpanContext context = TraceHeaders.spanContext(extracted);
            if (!context.isValid()) {
                return Context.root();
            }
            if (maxLinks > 0) {
                builder.addLink(context, linkAttributes(only));
            }
            return extracted;
        }
        Set<SpanContext> linked = new HashSet<>();
        Map<String, String> previous = Map.of();
        for (OutboxRecord record : batch) {
            if (linked.size() >= maxLinks) {
                break;
            }
            Map<String, String> own = record.headers();
            if (own.isEmpty() || own.equals(previous)) {
                // nothing for any propagator to read, or the same headers as the record before (the
                // events of one transaction, next to each other in the log): the same context
                continue;
            }
            previous = own;
            SpanContext context = TraceHeaders.spanContext(headers.extract(own));
            if (context.isValid() && linked.add(context)) {
                builder.addLink(context, linkAttributes(record));
            }
        }
        return Context.root();
    }

    private static Attributes linkAttributes(OutboxRecord record) {
        return Attributes.of(MESSAGING_MESSAGE_ID, record.eventId().toString(), SEQ, record.seq());
    }

    private static void failed(Span span, Throwable failure) {
        try {
            span.setStatus(StatusCode.ERROR, failure.getClass().getName());
            span.setAttribute(ERROR_TYPE, failure.getClass().getName());
            if (failure instanceof PartialSuccessException partial) {
                span.setAttribute(PROCESSED, (long) partial.processed());
            }
            span.recordException(failure);
        } catch (RuntimeException ignored) {
            // Recording is best effort: the handler's failure, rethrown unchanged, is what counts.
        }
    }
}
