package dev.outbox.testsupport.faults;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.history.HandlerFaults;
import dev.outbox.testsupport.history.HistoryRelays;
import dev.outbox.testsupport.history.HistorySchema;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The main class of a relay process ({@link RelayProcess}): runs the relay of a history run until
 * it is killed. Reads its settings from the properties file named by its only argument; records
 * the at-least-once consumer's deliveries and the faulty consumers' handler calls in a file, one
 * line each, written before the handler returns; tells the parent what it does on standard output, in lines that start with {@value
 * ChildJvm#PREFIX}:
 *
 * <ul>
 *   <li>{@code owns-all}: it sequences and runs every consumer;
 *   <li>{@code batch <first> <last>}: a batch was recorded and the handler has not returned yet (it
 *       lingers {@code batch.linger.millis} there, like a slow external system).
 * </ul>
 */
public final class RelayProcessMain {

    private RelayProcessMain() {}

    public static void main(String[] args) throws Exception {
        Properties settings = PoolSettings.load(args[0]);
        HikariDataSource dataSource = PoolSettings.open(settings, "relay-process", 6);

        OutboxDialect dialect = (OutboxDialect) Class.forName(settings.getProperty("dialect"))
                .getMethod("create")
                .invoke(null);
        OutboxTables tables = OutboxTables.of(settings.getProperty("schema"), settings.getProperty("prefix"));
        HistorySchema schema = new HistorySchema(dialect, tables);
        String relayId = settings.getProperty("relayId");
        long linger = Long.parseLong(settings.getProperty("batch.linger.millis", "20"));
        ChildOutput recording = ChildOutput.open(settings);

        String seed = settings.getProperty("handlerFaults.seed");
        HandlerFaults faults = seed == null
                ? HandlerFaults.none()
                : HandlerFaults.seeded(
                        Long.parseLong(seed),
                        Duration.ofMillis(Long.parseLong(settings.getProperty("handlerFaults.slownessMillis"))));
        OutboxRelay relay = HistoryRelays.build(
                dataSource,
                schema,
                HistoryRelays.options(relayId, Duration.ofMillis(Long.parseLong(settings.getProperty("leaseMillis")))),
                delivery -> recording.record(delivery.toLine()),
                batch -> {
                    recording.flush(); // into the operating system: survives SIGKILL of this process
                    ChildOutput.report("batch " + first(batch) + " " + last(batch));
                    TimeUnit.MILLISECONDS.sleep(linger);
                },
                faults,
                call -> {
                    recording.record(call.toLine());
                    recording.flush();
                },
                Integer.parseInt(settings.getProperty("partitions", "1")));
        // SIGTERM: a clean stop, as a rolling restart does it (SIGKILL runs no hook)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            relay.close();
            recording.flush();
            dataSource.close();
        }));
        relay.start();
        boolean announced = false;
        while (true) {
            if (!announced && HistoryRelays.ownsEverything(relay)) {
                ChildOutput.report("owns-all");
                announced = true;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    private static long first(List<OutboxRecord> batch) {
        return batch.get(0).seq();
    }

    private static long last(List<OutboxRecord> batch) {
        return batch.get(batch.size() - 1).seq();
    }
}
