package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.NoDialect;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxTables;
import java.util.Collections;
import java.util.List;
import org.jooq.SQLDialect;
import org.junit.jupiter.api.Test;

class WriterEngineTest {

    @Test
    void shouldCountUtf8BytesNotCharacters() {
        assertThat(WriterEngine.isOverUtf8Limit("a".repeat(10), 10)).isFalse();
        assertThat(WriterEngine.isOverUtf8Limit("a".repeat(11), 10)).isTrue();
        assertThat(WriterEngine.isOverUtf8Limit("\u00e9".repeat(5), 10)).isFalse(); // 2 bytes each
        assertThat(WriterEngine.isOverUtf8Limit("\u00e9".repeat(6), 10)).isTrue();
        assertThat(WriterEngine.isOverUtf8Limit("\u20ac".repeat(4), 12)).isFalse(); // 3 bytes each
        assertThat(WriterEngine.isOverUtf8Limit("\uD83D\uDE00".repeat(3), 12)).isFalse(); // 4 bytes each
        assertThat(WriterEngine.isOverUtf8Limit("\uD83D\uDE00".repeat(3) + "a", 12))
                .isTrue();
    }

    @Test
    void shouldSplitInsertsByRowCountAndByPayloadSize() {
        List<OutboxEvent> small = Collections.nCopies(1200, OutboxEvent.of("k", "E", "{}"));
        assertThat(WriterEngine.chunkEnd(small, 0)).isEqualTo(WriterEngine.MAX_ROWS_PER_INSERT);
        assertThat(WriterEngine.chunkEnd(small, 1000)).isEqualTo(1200);

        String oneMiB = "x".repeat(1 << 20);
        List<OutboxEvent> large = Collections.nCopies(10, OutboxEvent.of("k", "E", oneMiB));
        assertThat(WriterEngine.chunkEnd(large, 0)).isEqualTo(4);
        assertThat(WriterEngine.chunkEnd(large, 8)).isEqualTo(10);

        String fiveMiB = "x".repeat(5 << 20);
        assertThat(WriterEngine.chunkEnd(List.of(OutboxEvent.of("k", "E", fiveMiB)), 0))
                .isEqualTo(1);
    }

    @Test
    void shouldRenderTheInsertOfNRowsWithSevenPlaceholdersEach() {
        WriterEngine engine = new WriterEngine(new NoDialect(SQLDialect.MARIADB), OutboxTables.defaults(), 100, false);

        assertThat(engine.insertSql(2))
                .isEqualTo("insert into `outbox_event` (`event_id`, `aggregate_type`, `aggregate_id`, `key_hash`,"
                        + " `event_type`, `payload`, `headers`) values (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)");
        assertThat(engine.insertSql(2)).isSameAs(engine.insertSql(2)); // rendered once per size
    }
}
