package dev.outbox.spi;

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
    OTHER
}
