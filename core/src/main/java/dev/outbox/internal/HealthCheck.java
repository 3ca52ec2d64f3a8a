package dev.outbox.internal;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxLog;
import dev.outbox.RelayHealth;
import dev.outbox.RelayProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Judges a relay's health ({@link RelayHealth} says by what): reads the queue and the consumers'
 * status, two short rounds of statements, and nothing when the relay is not running.
 */
final class HealthCheck {

    /** The queue is counted up to this many rows: enough for a detail, bounded in cost. */
    static final int QUEUE_COUNT_CAP = 10_000;

    private final String relayId;
    private final OutboxLog log;
    private final Supplier<List<ConsumerStatus>> status;
    private final Supplier<List<RelayProblem>> problems;
    private final BooleanSupplier sequencing;

    HealthCheck(
            String relayId,
            OutboxLog log,
            Supplier<List<ConsumerStatus>> status,
            Supplier<List<RelayProblem>> problems,
            BooleanSupplier sequencing) {
        this.relayId = relayId;
        this.log = log;
        this.status = status;
        this.problems = problems;
        this.sequencing = sequencing;
    }

    RelayHealth check(boolean running, RelayHealth.Thresholds thresholds) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("relayId", relayId);
        details.put("running", running);
        List<String> reasons = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        if (!running) {
            reasons.add("relay " + relayId + " is not running");
            return new RelayHealth(RelayHealth.Status.DOWN, reasons, warnings, details);
        }
        details.put("sequencing", sequencing.getAsBoolean());
        problems.get().forEach(problem -> warnings.add(problem.toString()));
        OutboxLog.Queue queue;
        List<ConsumerStatus> consumers;
        try {
            queue = log.queue(QUEUE_COUNT_CAP);
            consumers = status.get();
        } catch (RuntimeException e) {
            reasons.add("the database cannot be read: " + e.getMessage());
            return new RelayHealth(RelayHealth.Status.DOWN, reasons, warnings, details);
        }
        details.put("queued", queue.countCapped() ? queue.waiting() + "+" : queue.waiting());
        if (queue.oldest() != null) {
            details.put("oldestQueued", queue.oldest());
        }
        if (queue.sinceLastSequenced() != null) {
            details.put("sinceLastSequenced", queue.sinceLastSequenced());
        }
        Duration stalledAfter = thresholds.sequencingStalledAfter();
        if (queue.oldest() != null
                && queue.oldest().compareTo(stalledAfter) > 0
                && (queue.sinceLastSequenced() == null
                        || queue.sinceLastSequenced().compareTo(stalledAfter) > 0)) {
            reasons.add("sequencing has stalled: the oldest queued event waits for " + queue.oldest()
                    + " and no batch was sequenced for "
                    + (queue.sinceLastSequenced() == null
                            ? "as long"
                            : queue.sinceLastSequenced().toString())
                    + " (is a relay running against these tables? see problems())");
        }
        Map<String, Object> perConsumer = new LinkedHashMap<>();
        for (ConsumerStatus consumer : consumers) {
            perConsumer.put(
                    consumer.name(),
                    Map.of("state", consumer.state().name(), "lagEvents", consumer.lagEvents(), "lag", consumer.lag()));
            switch (consumer.state()) {
                case BLOCKED ->
                    warnings.add("consumer '" + consumer.name() + "' is BLOCKED at seq " + consumer.blockedAtSeq()
                            + ": " + consumer.lastError());
                case WAITING_FOR_DOWNSTREAM ->
                    warnings.add("consumer '" + consumer.name() + "' waits for its downstream since "
                            + consumer.waitingSince() + ": " + consumer.lastError());
                default -> {
                    if (consumer.lag().compareTo(thresholds.consumerLagWarning()) > 0) {
                        warnings.add("consumer '" + consumer.name() + "' lags " + consumer.lag() + " ("
                                + consumer.lagEvents() + " events)");
                    }
                }
            }
        }
        details.put("consumers", perConsumer);
        return new RelayHealth(
                reasons.isEmpty() ? RelayHealth.Status.UP : RelayHealth.Status.DOWN, reasons, warnings, details);
    }
}
