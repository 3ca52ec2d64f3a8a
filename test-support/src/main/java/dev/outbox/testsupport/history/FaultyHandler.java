package dev.outbox.testsupport.history;

import dev.outbox.DownstreamUnavailableException;
import dev.outbox.EventHandler;
import dev.outbox.OutboxRecord;
import dev.outbox.PartialSuccessException;
import dev.outbox.TransactionalEventHandler;
import dev.outbox.testkit.history.FaultyConsumer;
import dev.outbox.testkit.history.HandlerCall;
import dev.outbox.testkit.history.HandlerFaults;
import dev.outbox.testkit.history.HistoryClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The handler of a {@link FaultyConsumer}: processes a batch one event at a time, in order, and
 * fails as {@link HandlerFaults} plans, the way real handlers fail (an exception, an {@link Error},
 * a partial success, a downstream that went away, a call slower than the lease). Every call is
 * recorded ({@link HandlerCall}) when it ends. A transactional one writes a {@code hist_effect} row
 * per processed event on the relay's connection: the rows are its effects, committed exactly when
 * the relay's transaction is.
 *
 * <p>Failure counts are kept per event in this relay, as a real handler's luck would be: a relay
 * that takes over starts counting again. Called by one consumer thread at a time; thread-safe.
 */
public final class FaultyHandler implements EventHandler, TransactionalEventHandler {

    private final FaultyConsumer consumer;
    private final String relayId;
    private final HandlerFaults faults;
    private final Consumer<HandlerCall> sink;
    private final @Nullable String effectInsert;
    private final AtomicLong calls = new AtomicLong();
    private final Map<UUID, Integer> failedSoFar = new ConcurrentHashMap<>();

    /**
     * @param effectInsert the {@code hist_effect} insert of a transactional consumer, {@code null}
     *     for an at-least-once one
     */
    public FaultyHandler(
            FaultyConsumer consumer,
            String relayId,
            HandlerFaults faults,
            Consumer<HandlerCall> sink,
            @Nullable String effectInsert) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.relayId = Objects.requireNonNull(relayId, "relayId");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.effectInsert = effectInsert;
    }

    @Override
    public void handle(List<OutboxRecord> batch) throws Exception {
        handle(batch, null);
    }

    @Override
    public void handle(List<OutboxRecord> batch, @Nullable Connection connection) throws Exception {
        String callId = relayId + "#" + calls.incrementAndGet();
        long start = HistoryClock.nowMicros();
        List<Long> seqs = batch.stream().map(OutboxRecord::seq).toList();
        int processed = 0;
        String outcome = "ok";
        try {
            for (OutboxRecord record : batch) {
                fail(record, processed);
                if (connection != null) {
                    effect(record, connection);
                }
                processed++;
            }
        } catch (Exception | Error e) {
            Throwable reported = e instanceof PartialSuccessException partial ? partial.getCause() : e;
            outcome = reported.getClass().getSimpleName();
            throw e;
        } finally {
            sink.accept(new HandlerCall(
                    consumer.name(), relayId, callId, start, HistoryClock.nowMicros(), seqs, processed, outcome));
        }
    }

    /** Throws what the plan says for {@code record}, the {@code index}-th event of its batch. */
    private void fail(OutboxRecord record, int index) throws InterruptedException {
        long now = HistoryClock.nowMicros();
        HandlerFaults.Plan plan = faults.plan(consumer.name(), record.eventId());
        if (faults.downstreamDown(consumer.name(), now)) {
            throw reported(
                    new DownstreamUnavailableException("the downstream of " + consumer.name() + " is down (planned)"),
                    index,
                    plan);
        }
        switch (plan.kind()) {
            case TRANSIENT, ERROR -> {
                int failed = failedSoFar.merge(record.eventId(), 1, Integer::sum);
                if (failed <= plan.failures()) {
                    throw reported(
                            plan.kind() == HandlerFaults.Kind.ERROR
                                    ? error(plan, record)
                                    : new IllegalStateException("transient failure " + failed + " of " + plan.failures()
                                            + " on seq " + record.seq() + " (planned)"),
                            index,
                            plan);
                }
            }
            case POISON -> {
                long created = record.createdAt().getEpochSecond() * 1_000_000
                        + record.createdAt().getNano() / 1000;
                if (faults.poisoned(plan, created, now)) {
                    throw reported(
                            new IllegalArgumentException("seq " + record.seq() + " is poison (planned)"), index, plan);
                }
            }
            case SLOW -> {
                if (failedSoFar.putIfAbsent(record.eventId(), 0) == null) {
                    TimeUnit.NANOSECONDS.sleep(faults.slowness().toNanos()); // longer than the lease
                }
            }
            case NONE -> {
                // processed
            }
        }
    }

    private static Error error(HandlerFaults.Plan plan, OutboxRecord record) {
        return switch (plan.error()) {
            case 0 -> new AssertionError("expected seq " + record.seq() + " to be indexable (planned)");
            case 1 -> new StackOverflowError("recursion on seq " + record.seq() + " (planned)");
            default -> new NoClassDefFoundError("com/example/Missing, needed by seq " + record.seq() + " (planned)");
        };
    }

    /** {@code failure} as the handler reports it: with the events before it, a partial success. */
    private static RuntimeException reported(Throwable failure, int index, HandlerFaults.Plan plan) {
        if (index > 0 && plan.partial()) {
            return new PartialSuccessException(index, failure);
        }
        if (failure instanceof Error error) {
            throw error;
        }
        return (RuntimeException) failure;
    }

    private void effect(OutboxRecord record, Connection connection) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(Objects.requireNonNull(effectInsert))) {
            insert.setString(1, consumer.name());
            insert.setLong(2, record.seq());
            insert.setString(3, record.eventId().toString());
            insert.setString(4, relayId);
            insert.setLong(5, HistoryClock.nowMicros());
            insert.executeUpdate();
        }
    }
}
