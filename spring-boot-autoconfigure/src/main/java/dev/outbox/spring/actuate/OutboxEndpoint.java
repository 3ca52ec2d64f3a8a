package dev.outbox.spring.actuate;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxRelay;
import dev.outbox.PartitionStatus;
import dev.outbox.RelayProblem;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The Actuator endpoint {@code outbox}, read-only: the relay, the log's head and every consumer's
 * status ({@code /actuator/outbox}), or one consumer's ({@code /actuator/outbox/{consumer}}). To
 * reset or re-drive, use the command-line tool or {@link OutboxRelay}'s methods.
 */
@Endpoint(id = "outbox")
public class OutboxEndpoint {

    private final OutboxRelay relay;

    public OutboxEndpoint(OutboxRelay relay) {
        this.relay = Objects.requireNonNull(relay, "relay");
    }

    @ReadOperation
    public Map<String, Object> outbox() {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("relayId", relay.options().relayId());
        report.put("tables", relay.tables().qualified(relay.tables().logTable()));
        report.put("sequencing", relay.isSequencing());
        report.put("head", relay.log().head());
        report.put(
                "consumers",
                relay.status().stream().map(OutboxEndpoint::describe).toList());
        List<RelayProblem> problems = relay.problems();
        if (!problems.isEmpty()) {
            report.put("problems", problems.stream().map(Object::toString).toList());
        }
        return report;
    }

    /** One consumer's status; {@code null} (404) for a name that has no consumer. */
    @ReadOperation
    public @Nullable Map<String, Object> consumer(@Selector String name) {
        return relay.status().stream()
                .filter(status -> status.name().equals(name))
                .findFirst()
                .map(OutboxEndpoint::describe)
                .orElse(null);
    }

    private static Map<String, Object> describe(ConsumerStatus status) {
        Map<String, Object> consumer = new LinkedHashMap<>();
        consumer.put("name", status.name());
        consumer.put("state", status.state().name());
        consumer.put("registeredHere", status.registeredHere());
        putIfSet(consumer, "owner", status.owner());
        consumer.put("checkpoint", status.checkpoint());
        consumer.put("lagEvents", status.lagEvents());
        consumer.put("lag", status.lag().toString());
        putIfSet(consumer, "blockedAtSeq", status.blockedAtSeq());
        putIfSet(consumer, "waitingSince", status.waitingSince());
        putIfSet(consumer, "lastError", status.lastError());
        putIfSet(consumer, "lastErrorAt", status.lastErrorAt());
        consumer.put("parkedCount", status.parkedCount());
        if (status.partitions().size() > 1) {
            consumer.put(
                    "partitions",
                    status.partitions().stream().map(OutboxEndpoint::describe).toList());
        }
        return consumer;
    }

    private static Map<String, Object> describe(PartitionStatus status) {
        Map<String, Object> partition = new LinkedHashMap<>();
        partition.put("partition", status.partition());
        partition.put("state", status.state().name());
        putIfSet(partition, "owner", status.owner());
        partition.put("checkpoint", status.checkpoint());
        partition.put("lagEvents", status.lagEvents());
        putIfSet(partition, "blockedAtSeq", status.blockedAtSeq());
        return partition;
    }

    private static void putIfSet(Map<String, Object> map, String key, @Nullable Object value) {
        if (value != null) {
            map.put(key, value instanceof String ? value : value.toString());
        }
    }
}
