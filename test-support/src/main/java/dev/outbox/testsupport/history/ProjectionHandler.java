package dev.outbox.testsupport.history;

import dev.outbox.KeyPartitioner;
import dev.outbox.OutboxRecord;
import dev.outbox.TransactionalEventHandler;
import dev.outbox.testkit.history.HistoryClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;

/**
 * The transactional consumer of a history run: inserts one {@code hist_projection} row per event
 * on the relay's connection, so rows and checkpoint commit together. The rows are the recording;
 * a duplicate row is a broken exactly-once guarantee. Each row also holds the owner and epoch of
 * its partition as the partition's row said in the batch's transaction (which the relay opened by
 * locking that row): a committed batch of a relay the row does not name, or two relays under one
 * epoch, is a split brain. Thread-safe (stateless).
 */
public final class ProjectionHandler implements TransactionalEventHandler {

    private final String sql;
    private final String ownerRead;
    private final String relayId;
    private final int partitions;

    public ProjectionHandler(HistorySchema schema, String relayId, int partitions) {
        this.sql = schema.projectionInsert();
        this.ownerRead = schema.ownerRead();
        this.relayId = relayId;
        this.partitions = partitions;
    }

    @Override
    public void handle(List<OutboxRecord> batch, Connection connection) throws Exception {
        long now = HistoryClock.nowMicros();
        int partition = KeyPartitioner.partitionOf(batch.get(0).aggregateId(), partitions);
        String owner = null;
        long epoch = -1;
        try (PreparedStatement read = connection.prepareStatement(ownerRead)) {
            read.setString(1, HistoryRelays.PROJECTION);
            read.setInt(2, partition);
            try (ResultSet rs = read.executeQuery()) {
                if (rs.next()) {
                    owner = rs.getString(1);
                    epoch = rs.getLong(2);
                }
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(sql)) {
            for (OutboxRecord record : batch) {
                insert.setLong(1, record.seq());
                insert.setString(2, record.eventId().toString());
                insert.setString(3, record.aggregateId());
                insert.setString(4, relayId);
                insert.setLong(5, now);
                insert.setInt(6, partition);
                insert.setString(7, owner);
                insert.setLong(8, epoch);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }
}
