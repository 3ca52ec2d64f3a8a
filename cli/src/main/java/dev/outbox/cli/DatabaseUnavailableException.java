package dev.outbox.cli;

/**
 * The database cannot be reached, logged into, or has no outbox tables: exit code {@value
 * ExitCodes#UNAVAILABLE}. Its message never holds a password (the JDBC URL in it is masked).
 */
final class DatabaseUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DatabaseUnavailableException(String message) {
        super(message);
    }

    DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
