package dev.outbox;

/**
 * The outbox tables are missing or were created by a different version of the migration. outbox
 * never runs DDL by itself: the message names the migration to run.
 */
public final class OutboxSchemaException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public OutboxSchemaException(String message) {
        super(message);
    }

    public OutboxSchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
