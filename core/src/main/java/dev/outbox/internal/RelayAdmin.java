package dev.outbox.internal;

import dev.outbox.OutboxException;
import java.sql.Connection;
import java.sql.SQLException;

/** Operations on consumer rows that run outside the relay's loops. */
public final class RelayAdmin {

    private RelayAdmin() {}

    /**
     * Sets the checkpoint of consumer {@code name} to {@code checkpoint} and bumps its epoch, which
     * fences the relay that runs it now; creates the consumer's row if it has none.
     */
    public static void resetConsumer(RelayContext context, String name, long checkpoint) {
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
}
