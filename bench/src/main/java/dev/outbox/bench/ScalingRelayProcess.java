package dev.outbox.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxRelay;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * One relay of {@link PartitionScalingBench}'s three-process figure, in a JVM of its own: it opens
 * its pool, builds the relay with the bench's sleeping consumer, prints {@code ready}, starts the
 * relay when it reads {@code go} on stdin, and closes it when it reads {@code stop} or stdin ends
 * (the bench died: no relay outlives it).
 *
 * <p>Arguments: database kind, schema URL, user, consumer name, partitions, relay id.
 */
final class ScalingRelayProcess {

    private ScalingRelayProcess() {}

    public static void main(String[] args) throws Exception {
        BenchDb.Kind kind = BenchDb.Kind.valueOf(args[0]);
        String consumer = args[3];
        int partitions = Integer.parseInt(args[4]);
        String relayId = args[5];
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (HikariDataSource pool = BenchDb.pool(kind, args[1], args[2], relayId, Math.min(40, partitions + 4), null);
                OutboxRelay relay = OutboxRelay.builder(pool, BenchDb.dialect(kind))
                        .tables(BenchDb.TABLES)
                        .options(Relays.options(relayId).build())
                        .consumer(PartitionScalingBench.sleepingConsumer(consumer, partitions, record -> {}))
                        .build()) {
            System.out.println("ready");
            System.out.flush();
            if (!"go".equals(commands.readLine())) {
                return;
            }
            relay.start();
            String line;
            do {
                line = commands.readLine();
            } while (line != null && !line.equals("stop"));
        }
    }
}
