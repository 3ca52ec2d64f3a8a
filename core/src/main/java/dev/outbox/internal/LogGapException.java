package dev.outbox.internal;

/**
 * The log has a hole right after a consumer's checkpoint. The log is gap-free by construction; a
 * reader that finds a hole waits it out and never skips it, so a violation shows instead of
 * silently losing events.
 */
final class LogGapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LogGapException(String message) {
        super(message);
    }
}
