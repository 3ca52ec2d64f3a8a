package dev.outbox;

/**
 * An option, table name or call was invalid, for example a negative batch size, a table prefix that
 * is not an identifier, or a writer called on a connection in auto-commit mode. The message names
 * the property or the call and says what to change.
 */
public final class OutboxConfigurationException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public OutboxConfigurationException(String message) {
        super(message);
    }

    public OutboxConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
