package dev.outbox.internal;

import dev.outbox.OutboxException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Operations on consumer rows that run outside the relay's loops. */
final class RelayAdmin {

    private RelayAdmin() {}

    /**
     * Sets the checkpoint of consumer {@code name} to {@code checkpoint} and bumps its epoch, which
     * fences the relay that runs it now; clears its failure state; creates the consumer's row if it
     * has none.
     */
    static void resetConsumer(RelayContext context, String name, long checkpoint) {
        try {
            context.inTransaction(connection -> {
                // Update first, create only if there was nothing to update: an INSERT IGNORE of an
                // existing key would take a shared lock that the update then has to upgrade, a
                // deadlock with the owner's checkpoint update on InnoDB.
                if (reset(context, connection, name, checkpoint) == 0) {
                    try (NamedSql.Bound create = context.sql.insertConsumerAtBeginning.prepare(connection)) {
                        create.set("name", name).statement().executeUpdate();
                    }
                    reset(context, connection, name, checkpoint);
                }
                return null;
            });
        } catch (SQLException e) {
            throw new OutboxException(
                    "resetting consumer '" + name + "' to checkpoint " + checkpoint + " failed (SQLState "
                            + e.getSQLState() + "): " + e.getMessage(),
                    e);
        }
    }

    private static int reset(RelayContext context, Connection connection, String name, long checkpoint)
            throws SQLException {
        try (NamedSql.Bound reset = context.sql.resetConsumer.prepare(connection)) {
            return reset.set("checkpoint", checkpoint)
                    .set("name", name)
                    .statement()
                    .executeUpdate();
        }
    }

    /**
     * Deletes consumer {@code name}: its checkpoint row and its dead letters, in one transaction that
     * first locks the row, so that no relay takes it over meanwhile. Refused while a relay holds a
     * live lease on it.
     *
     * @return whether the consumer had a row
     */
    static boolean deleteConsumer(RelayContext context, String name) {
        try {
            return context.inTransaction(connection -> {
                boolean exists;
                try (NamedSql.Bound lock = context.ops.lockConsumerForDelete.prepare(connection)) {
                    lock.set("consumer", name);
                    try (ResultSet rs = lock.statement().executeQuery()) {
                        exists = rs.next();
                        if (exists && rs.getInt(2) == 1) {
                            throw new OutboxException("consumer '" + name + "' is running in relay '" + rs.getString(1)
                                    + "' (its lease is live): remove it from that relay's consumers and restart or"
                                    + " close that relay, then delete it");
                        }
                    }
                }
                try (NamedSql.Bound delete = context.ops.deleteDeadLettersOfConsumer.prepare(connection)) {
                    delete.set("consumer", name).statement().executeUpdate();
                }
                try (NamedSql.Bound delete = context.ops.deleteConsumer.prepare(connection)) {
                    delete.set("consumer", name).statement().executeUpdate();
                }
                return exists;
            });
        } catch (SQLException e) {
            throw new OutboxException(
                    "deleting consumer '" + name + "' failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
        }
    }
}
