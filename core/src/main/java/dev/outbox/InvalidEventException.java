package dev.outbox;

/**
 * An event was refused before anything was written: a missing or blank key or type, a value too
 * long for its column, or a payload over the configured limit. The message names the field and
 * says what to change.
 */
public final class InvalidEventException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public InvalidEventException(String message) {
        super(message);
    }
}
