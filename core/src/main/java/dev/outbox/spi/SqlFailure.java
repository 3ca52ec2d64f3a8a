package dev.outbox.spi;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;

/** What a database error means to the relay, as classified by {@link OutboxDialect#classify}. */
public enum SqlFailure {
    /** Serialization failure, deadlock or lock wait timeout: retry the same work at once. */
    TRANSIENT,
    /**
     * The connection or the server is gone (connection lost, server shutting down, backend killed):
     * an infrastructure failure, retried with back-off, never counted against a handler.
     */
    CONNECTION,
    /** A table or column is missing: the migration was not run. */
    UNDEFINED_OBJECT,
    /** Anything else. */
    OTHER;

    /**
     * What the JDBC standard alone says about {@code exception}: the connection exception classes
     * (which drivers and pools raise when a socket breaks or no connection can be had) and SQLState
     * class {@code 08} are {@link #CONNECTION}, SQLState {@code 40001} (serialization failure) is
     * {@link #TRANSIENT}, anything else {@link #OTHER}. Dialects check their own codes first.
     */
    public static SqlFailure standard(SQLException exception) {
        if (exception instanceof SQLTransientConnectionException
                || exception instanceof SQLNonTransientConnectionException
                || exception instanceof SQLRecoverableException) {
            return CONNECTION;
        }
        String state = exception.getSQLState();
        if (state == null) {
            return OTHER;
        }
        if (state.startsWith("08")) {
            return CONNECTION;
        }
        return state.equals("40001") ? TRANSIENT : OTHER;
    }
}
