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
import static dev.outbox.internal.OutboxSql.UPDATED_AT;
import static dev.outbox.internal.OutboxSql.WAITING_SINCE;
import static org.jooq.impl.DSL.deleteFrom;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.update;
import static org.jooq.impl.DSL.when;

import dev.outbox.OutboxException;
import dev.outbox.StartPosition;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.jooq.Field;
import org.jooq.Param;

/**
 * Operations on consumer rows that run outside the relay's loops: reset and delete, with their
 * statements. Rendered once per relay; thread-safe.
 */
final class RelayAdmin {

    private final RelayContext context;
    private final Param<String> name = param("name", String.class);
    private final Param<Long> checkpoint = param("checkpoint", Long.class);
    private final Statement reset;
    private final Statement lockForDelete;
    private final Statement deleteDeadLetters;
    private final Statement deleteRow;

    RelayAdmin(RelayContext context) {
        this.context = context;
        OutboxSql sql = context.sql;
        // Bumping the epoch fences whoever owns the consumer now: it finds its next checkpoint
        // write rejected, takes the lease again and reads the new checkpoint. The failure state
        // belonged to the old position: cleared with it.
        reset = sql.render(update(sql.consumer)
                .set(CHECKPOINT_SEQ, checkpoint)
                .set(EPOCH, EPOCH.plus(inline(1L)))
                .set(OWNER, NULL_STRING)
                .set(LEASE_UNTIL, NULL_TIME)
                .set(UPDATED_AT, sql.now())
                .set(LAST_ERROR, NULL_STRING)
                .set(LAST_ERROR_AT, NULL_TIME)
                .set(BLOCKED_SEQ, NULL_LONG)
                .set(WAITING_SINCE, NULL_TIME)
                .where(NAME.eq(name)));
        // Deleting a consumer: its row locked first, so that no relay takes it over meanwhile.
        Field<Integer> leaseLive = when(OWNER.isNotNull().and(LEASE_UNTIL.ge(sql.now())), inline(1))
                .otherwise(inline(0));
        lockForDelete = sql.render(
                select(OWNER, leaseLive).from(sql.consumer).where(NAME.eq(name)).forUpdate());
        deleteDeadLetters = sql.render(deleteFrom(sql.deadLetter).where(CONSUMER.eq(name)));
        deleteRow = sql.render(deleteFrom(sql.consumer).where(NAME.eq(name)));
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(reset, lockForDelete, deleteDeadLetters, deleteRow);
    }

    /**
     * Sets the checkpoint of consumer {@code consumer} to {@code seq} and bumps its epoch, which
     * fences the relay that runs it now; clears its failure state; creates the consumer's row if it
     * has none.
     */
    void resetConsumer(String consumer, long seq) {
        try {
            context.operationInTransaction(connection -> {
                // Update first, create only if there was nothing to update: an INSERT IGNORE of an
                // existing key would take a shared lock that the update then has to upgrade, a
                // deadlock with the owner's checkpoint update on InnoDB.
                if (reset(connection, consumer, seq) == 0) {
                    context.consumers.createRow(connection, consumer, StartPosition.BEGINNING);
                    reset(connection, consumer, seq);
                }
                return null;
            });
        } catch (SQLException e) {
            throw new OutboxException(
                    "resetting consumer '" + consumer + "' to checkpoint " + seq + " failed (SQLState "
                            + e.getSQLState() + "): " + e.getMessage(),
                    e);
        }
    }

    private int reset(Connection connection, String consumer, long seq) throws SQLException {
        try (Statement.Bound update =
                reset.bind(connection).setString(name, consumer).setLong(checkpoint, seq)) {
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
                    exists = rs.next();
                    if (exists && rs.getInt(2) == 1) {
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
