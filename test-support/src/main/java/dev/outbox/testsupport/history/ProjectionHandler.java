package dev.outbox.testsupport.history;

import dev.outbox.OutboxRecord;
import dev.outbox.TransactionalEventHandler;
import dev.outbox.testkit.history.HistoryClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;

/**
 * The transactional consumer of a history run: inserts one {@code hist_projection} row per event
 * on the relay's connection, so rows and checkpoint commit together. The rows are the recording;
 * a duplicate row is a broken exactly-once guarantee. Thread-safe (stateless).
 */
public final class ProjectionHandler implements TransactionalEventHandler {

    private final String sql;
    private final String relayId;

    public ProjectionHandler(HistorySchema schema, String relayId) {
        this.sql = schema.projectionInsert();
        this.relayId = relayId;
    }

    @Override
    public void handle(List<OutboxRecord> batch, Connection connection) throws Exception {
        long now = HistoryClock.nowMicros();
        try (PreparedStatement insert = connection.prepareStatement(sql)) {
            for (OutboxRecord record : batch) {
                insert.setLong(1, record.seq());
                insert.setString(2, record.eventId().toString());
                insert.setString(3, record.aggregateId());
                insert.setString(4, relayId);
                insert.setLong(5, now);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }
}
