package dev.outbox.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.testkit.RecordingHandler;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Real threads, real transactions, checked against the source of truth: the business rows the
 * transactions wrote.
 */
public abstract class ConcurrencyConformanceTest extends ConformanceTestBase {

    private static final int WRITERS = 8;
    private static final int TRANSACTIONS_PER_WRITER = 1000;
    private static final int KEYS = 50;

    private static final class RolledBack extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    /** What a committed transaction wrote: its event and the version it gave the key's row. */
    private record Committed(UUID eventId, String key, long version) {}

    @Test
    void shouldDeliverExactlyTheCommittedEventsInRowVersionOrderPerKey() throws Exception {
        String rows = table("versioned_row");
        execute("CREATE TABLE " + rows + " (" + column("k") + " VARCHAR(64) PRIMARY KEY, " + column("version")
                + " BIGINT NOT NULL)");
        for (int k = 0; k < KEYS; k++) {
            execute("INSERT INTO " + rows + " VALUES (?, 0)", "key-" + k);
        }
        RecordingHandler handler = new RecordingHandler();
        startRelay("r1", relay -> relay.atLeastOnce("recorder", handler));

        Map<UUID, Committed> committed = new ConcurrentHashMap<>();
        Set<UUID> rolledBack = ConcurrentHashMap.newKeySet();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            done.add(writers.submit(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int t = 0; t < TRANSACTIONS_PER_WRITER; t++) {
                    String key = "key-" + random.nextInt(KEYS);
                    boolean rollBack = random.nextInt(100) < 5;
                    long[] version = new long[1];
                    OutboxEvent[] event = new OutboxEvent[1];
                    try {
                        writer.inTransaction(dataSource, tx -> {
                            try (PreparedStatement bump = tx.connection()
                                    .prepareStatement("UPDATE " + rows
                                            + " SET " + column("version") + " = " + column("version") + " + 1 WHERE "
                                            + column("k") + " = ?")) {
                                bump.setString(1, key);
                                bump.executeUpdate();
                            }
                            try (PreparedStatement read = tx.connection()
                                    .prepareStatement("SELECT " + column("version") + " FROM " + rows + " WHERE "
                                            + column("k") + " = ?")) {
                                read.setString(1, key);
                                try (ResultSet rs = read.executeQuery()) {
                                    rs.next();
                                    version[0] = rs.getLong(1);
                                }
                            }
                            event[0] = OutboxEvent.of("row", key, "VersionBumped", "{\"version\":" + version[0] + "}");
                            tx.append(event[0]);
                            if (rollBack) {
                                throw new RolledBack();
                            }
                            return null;
                        });
                        committed.put(event[0].eventId(), new Committed(event[0].eventId(), key, version[0]));
                    } catch (RolledBack expected) {
                        rolledBack.add(event[0].eventId());
                    }
                }
                return null;
            }));
        }
        for (Future<?> writerDone : done) {
            writerDone.get(5, TimeUnit.MINUTES);
        }
        writers.shutdown();
        handler.awaitCount(committed.size(), TIMEOUT.multipliedBy(3));

        // delivered set = committed set, nothing rolled back, each once
        assertThat(handler.eventIds()).isEqualTo(committed.keySet());
        assertThat(handler.eventIds()).doesNotContainAnyElementsOf(rolledBack);
        assertThat(handler.duplicateSeqs()).isEmpty();
        assertThat(rolledBack).isNotEmpty();
        // the log is gap-free and holds exactly the delivered entries
        List<LogEntry> log = log();
        assertGapFreeFromOne(log.stream().map(LogEntry::seq).toList());
        assertThat(log)
                .extracting(LogEntry::eventId)
                .containsExactlyElementsOf(
                        handler.records().stream().map(OutboxRecord::eventId).toList());
        // per key, delivery order = the order of the row's versions: 1, 2, 3, ... up to the row's version now
        Map<String, List<Long>> versionsByKey = new HashMap<>();
        for (OutboxRecord record : handler.records()) {
            versionsByKey
                    .computeIfAbsent(record.aggregateId(), k -> new ArrayList<>())
                    .add(committed.get(record.eventId()).version());
        }
        Set<String> keysChecked = new HashSet<>();
        for (Map.Entry<String, List<Long>> key : versionsByKey.entrySet()) {
            long finalVersion = queryLong(
                    "SELECT " + column("version") + " FROM " + rows + " WHERE " + column("k") + " = ?", key.getKey());
            List<Long> expected = new ArrayList<>();
            for (long v = 1; v <= finalVersion; v++) {
                expected.add(v);
            }
            assertThat(key.getValue())
                    .as("versions of %s in delivery order", key.getKey())
                    .isEqualTo(expected);
            keysChecked.add(key.getKey());
        }
        assertThat(keysChecked).hasSize(KEYS);
    }
}
