package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.BLOCKED_SEQ;
import static dev.outbox.internal.OutboxSql.CHECKPOINT_SEQ;
import static dev.outbox.internal.OutboxSql.CONSUMER;
import static dev.outbox.internal.OutboxSql.EPOCH;
import static dev.outbox.internal.OutboxSql.LAST_ERROR;
import static dev.outbox.internal.OutboxSql.LAST_ERROR_AT;
import static dev.outbox.internal.OutboxSql.LEASE_UNTIL;
import static dev.outbox.internal.OutboxSql.NAME;
import static dev.outbox.internal.OutboxSql.NULL_LONG;
import static dev.outbox.internal.OutboxSql.NULL_STRING;
import static dev.outbox.internal.OutboxSql.NULL_TIME;
import static dev.outbox.internal.OutboxSql.OWNER;
import static dev.outbox.internal.OutboxSql.OWNER_INSTANCE;
import static dev.outbox.internal.OutboxSql.PARTITION_NO;
import static dev.outbox.internal.OutboxSql.RESET_GENERATION;
import static dev.outbox.internal.OutboxSql.UPDATED_AT;
import static dev.outbox.internal.OutboxSql.WAITING_SINCE;
import static org.jooq.impl.DSL.deleteFrom;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.update;
import static org.jooq.impl.DSL.when;

import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxException;
import dev.outbox.StartPosition;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.Param;
import org.jspecify.annotations.Nullable;

/**
 * Operations on consumer rows that run outside the relay's loops: reset and delete, with their
 * statements. Rendered once per relay; thread-safe.
 */
final class RelayAdmin {

    private final RelayContext context;
    private final Param<String> name = param("name", String.class);
    private final Param<Long> checkpoint = param("checkpoint", Long.class);
    private final Param<Integer> partitionNo = param("partition_no", Integer.class);
    private final Statement reset;
    private final Statement resetPartition;
    private final Statement lockForDelete;
    private final Statement deleteDeadLetters;
    private final Statement deleteRow;

    RelayAdmin(RelayContext context) {
        this.context = context;
        OutboxSql sql = context.sql;
        // Bumping the epoch fences whoever owns the consumer now: it finds its next checkpoint
        // write rejected, takes the lease again and reads the new checkpoint. The failure state
        // belonged to the old position: cleared with it. The reset generation tells a session
        // handler that keeps its own position downstream that this checkpoint was asked for.
        reset = resetOf(sql, NAME.eq(name));
        resetPartition = resetOf(sql, NAME.eq(name).and(PARTITION_NO.eq(partitionNo)));
        // Deleting a consumer: its row locked first, so that no relay takes it over meanwhile.
        Field<Integer> leaseLive = when(OWNER.isNotNull().and(LEASE_UNTIL.ge(sql.now())), inline(1))
                .otherwise(inline(0));
        lockForDelete = sql.render(
                select(OWNER, leaseLive).from(sql.consumer).where(NAME.eq(name)).forUpdate());
        deleteDeadLetters = sql.render(deleteFrom(sql.deadLetter).where(CONSUMER.eq(name)));
        deleteRow = sql.render(deleteFrom(sql.consumer).where(NAME.eq(name)));
    }

    /** The reset of the consumer rows {@code which} selects. */
    private Statement resetOf(OutboxSql sql, Condition which) {
        return sql.render(update(sql.consumer)
                .set(CHECKPOINT_SEQ, checkpoint)
                .set(EPOCH, EPOCH.plus(inline(1L)))
                .set(RESET_GENERATION, RESET_GENERATION.plus(inline(1L)))
                .set(OWNER, NULL_STRING)
                .set(OWNER_INSTANCE, NULL_STRING)
                .set(LEASE_UNTIL, NULL_TIME)
                .set(UPDATED_AT, sql.now())
                .set(LAST_ERROR, NULL_STRING)
                .set(LAST_ERROR_AT, NULL_TIME)
                .set(BLOCKED_SEQ, NULL_LONG)
                .set(WAITING_SINCE, NULL_TIME)
                .where(which));
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(reset, resetPartition, lockForDelete, deleteDeadLetters, deleteRow);
    }

    /**
     * Sets the checkpoint of consumer {@code consumer} (of its partition {@code partition}, or of all
     * of them when it is {@code null}) to {@code seq} and bumps the epoch, which fences the relay
     * that runs it now; clears the failure state; creates the consumer's rows if it has none, with
     * {@code partitions} partitions.
     */
    void resetConsumer(String consumer, @Nullable Integer partition, int partitions, long seq) {
        String what = "consumer '" + consumer + "'" + (partition == null ? "" : " partition " + partition);
        if (partition != null && (partition < 0 || partition >= partitions)) {
            throw new OutboxConfigurationException("resetting " + what + ": it has partitions 0 to " + (partitions - 1)
                    + " (as this relay declares it)");
        }
        try {
            context.operationInTransaction(connection -> {
                // Update first, create only if there was nothing to update: an INSERT IGNORE of an
                // existing key would take a shared lock that the update then has to upgrade, a
                // deadlock with the owner's checkpoint update on InnoDB.
                if (reset(connection, consumer, partition, seq) == 0) {
                    for (int number = 0; number < partitions; number++) {
                        context.consumers.createRow(
                                connection, new Partition(consumer, number, partitions), StartPosition.BEGINNING);
                    }
                    reset(connection, consumer, partition, seq);
                }
                return null;
            });
        } catch (SQLException e) {
            throw new OutboxException(
                    "resetting " + what + " to checkpoint " + seq + " failed (SQLState " + e.getSQLState() + "): "
                            + e.getMessage(),
                    e);
        }
    }

    private int reset(Connection connection, String consumer, @Nullable Integer partition, long seq)
            throws SQLException {
        if (partition == null) {
            try (Statement.Bound update =
                    reset.bind(connection).setString(name, consumer).setLong(checkpoint, seq)) {
                return update.executeUpdate();
            }
        }
        try (Statement.Bound update = resetPartition
                .bind(connection)
                .setString(name, consumer)
                .setInt(partitionNo, partition)
                .setLong(checkpoint, seq)) {
            return update.executeUpdate();
        }
    }

    /**
     * Deletes consumer {@code consumer}: its checkpoint row and its dead letters, in one transaction
     * that first locks the row, so that no relay takes it over meanwhile. Refused while a relay holds
     * a live lease on it.
     *
     * @return whether the consumer had a row
     */
    boolean deleteConsumer(String consumer) {
        try {
            return context.operationInTransaction(connection -> {
                boolean exists;
                try (Statement.Bound lock = lockForDelete.bind(connection).setString(name, consumer);
                        ResultSet rs = lock.executeQuery()) {
                    exists = false;
                    while (rs.next()) { // one row per partition
                        exists = true;
                        if (rs.getInt(2) != 1) {
                            continue;
                        }
                        throw new OutboxException("consumer '" + consumer + "' is running in relay '" + rs.getString(1)
                                + "' (its lease is live): remove it from that relay's consumers and restart or close"
                                + " that relay, then delete it");
                    }
                }
                try (Statement.Bound delete = deleteDeadLetters.bind(connection).setString(name, consumer)) {
                    delete.executeUpdate();
                }
                try (Statement.Bound delete = deleteRow.bind(connection).setString(name, consumer)) {
                    delete.executeUpdate();
                }
                return exists;
            });
        } catch (SQLException e) {
            throw new OutboxException(
                    "deleting consumer '" + consumer + "' failed (SQLState " + e.getSQLState() + "): " + e.getMessage(),
                    e);
        }
    }
}
