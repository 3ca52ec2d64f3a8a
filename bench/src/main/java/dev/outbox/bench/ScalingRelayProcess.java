package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.DownstreamUnavailableException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.RetryPolicy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One relay of {@link PartitionScalingBench}'s three-process figure, in a JVM of its own. It starts
 * its relay at once, with the bench's sleeping consumer behind a gate: until it reads {@code go} on
 * stdin, the handler says its downstream is unavailable (waited out every 20 ms, nothing parked),
 * so that the relays share the partitions out before the clock starts. It closes the relay when it
 * reads {@code stop} or stdin ends (the bench died: no relay outlives it).
 *
 * <p>Arguments: database kind, schema URL, user, consumer name, partitions, relay id, lease in ms.
 */
final class ScalingRelayProcess {

    /** Retries while the gate is shut: the handler answers at once when it opens. */
    private static final RetryPolicy GATE_RETRIES = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(20), 0, 3);

    private static volatile boolean open;

    private ScalingRelayProcess() {}

    public static void main(String[] args) throws Exception {
        BenchDb.Kind kind = BenchDb.Kind.valueOf(args[0]);
        String name = args[3];
        int partitions = Integer.parseInt(args[4]);
        String relayId = args[5];
        Duration lease = Duration.ofMillis(Long.parseLong(args[6]));
        OutboxConsumer gated = PartitionScalingBench.sleepingConsumer(
                name,
                partitions,
                GATE_RETRIES,
                () -> {
                    if (!open) {
                        throw new DownstreamUnavailableException("the bench has not said go");
                    }
                },
                record -> {});
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (HikariDataSource pool = BenchDb.pool(kind, args[1], args[2], relayId, Math.min(40, partitions + 4), null);
                OutboxRelay relay = OutboxRelay.builder(pool, BenchDb.dialect(kind))
                        .tables(BenchDb.TABLES)
                        .options(Relays.options(relayId).leaseDuration(lease).build())
                        .consumer(gated)
                        .build()) {
            relay.start();
            String line;
            while ((line = commands.readLine()) != null && !line.equals("stop")) {
                if (line.equals("go")) {
                    open = true;
                }
            }
        }
    }
}
