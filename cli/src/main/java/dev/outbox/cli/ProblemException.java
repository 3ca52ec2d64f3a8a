package dev.outbox.cli;

/**
 * A command found what it was asked for missing or refused (no such consumer, a live lease): exit
 * code {@value ExitCodes#PROBLEM}, the message on stderr.
 */
final class ProblemException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ProblemException(String message) {
        super(message);
    }

    ProblemException(String message, Throwable cause) {
        super(message, cause);
    }
}
