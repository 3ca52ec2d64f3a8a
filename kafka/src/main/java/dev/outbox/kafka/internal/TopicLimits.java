package dev.outbox.kafka.internal;

import dev.outbox.DownstreamUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What the broker allows per topic: the largest record batch ({@code max.message.bytes}) and the
 * number of partitions, read with the admin client and kept for a while. A topic that does not exist
 * yet (created by the broker when first written, if it does that) has the broker's {@code
 * message.max.bytes}, kept for a shorter while so that the topic's own setting is read once it
 * exists. Thread-safe.
 */
final class TopicLimits {

    /** A topic's limit, and its partitions (0 when it does not exist yet). */
    record Topic(int maxMessageBytes, int partitions) {}

    private record Cached(Topic topic, long untilNanos) {}

    private static final Duration KEPT = Duration.ofMinutes(5);
    private static final Duration KEPT_FOR_MISSING = Duration.ofSeconds(10);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    private final SharedAdmin admin;
    private final Map<String, Cached> topics = new ConcurrentHashMap<>();

    TopicLimits(SharedAdmin admin) {
        this.admin = admin;
    }

    /**
     * The limits of {@code name}.
     *
     * @throws DownstreamUnavailableException if the broker cannot tell (unreachable, say)
     */
    Topic of(String name) {
        Cached cached = topics.get(name);
        if (cached != null && System.nanoTime() - cached.untilNanos() < 0) {
            return cached.topic();
        }
        Topic topic = read(name);
        Duration kept = topic.partitions() == 0 ? KEPT_FOR_MISSING : KEPT;
        topics.put(name, new Cached(topic, System.nanoTime() + kept.toNanos()));
        return topic;
    }

    private Topic read(String name) {
        Admin client = admin.get();
        try {
            TopicDescription description =
                    get(client.describeTopics(List.of(name)).allTopicNames()).get(name);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
            Config config = get(client.describeConfigs(List.of(resource)).all()).get(resource);
            return new Topic(
                    integer(config, "max.message.bytes", name),
                    description.partitions().size());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw unavailable(name, e.getCause());
            }
        } catch (TimeoutException e) {
            throw unavailable(name, e);
        }
        // not created yet: the broker's default applies to it
        try {
            Node node = get(client.describeCluster().nodes()).iterator().next();
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, node.idString());
            Config config = get(client.describeConfigs(List.of(broker)).all()).get(broker);
            return new Topic(integer(config, "message.max.bytes", "broker " + node.idString()), 0);
        } catch (ExecutionException e) {
            throw unavailable(name, e.getCause());
        } catch (TimeoutException e) {
            throw unavailable(name, e);
        }
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future)
            throws ExecutionException, TimeoutException {
        try {
            return future.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownstreamUnavailableException("interrupted while asking the broker for a topic's limits", e);
        }
    }

    private static int integer(Config config, String name, String of) {
        ConfigEntry entry = config.get(name);
        if (entry == null || entry.value() == null) {
            throw new DownstreamUnavailableException("the broker did not say " + name + " of " + of);
        }
        return Integer.parseInt(entry.value());
    }

    private static DownstreamUnavailableException unavailable(String topic, Throwable cause) {
        return new DownstreamUnavailableException(
                "could not read the limits of topic '" + topic + "' from the broker: " + cause, cause);
    }
}
