package dev.outbox;

import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * Base of every exception outbox throws. Unchecked; carries the SQLState of the database error that
 * caused it, when there was one.
 */
public class OutboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OutboxException(String message) {
        super(message);
    }

    public OutboxException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }

    /**
     * The SQLState of the first {@link SQLException} in the cause chain, or {@code null} when the
     * failure did not come from the database.
     */
    public @Nullable String sqlState() {
        for (Throwable t = getCause(); t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }
}
