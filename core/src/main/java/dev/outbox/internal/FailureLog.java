package dev.outbox.internal;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * Logs failures of a loop once per change of state, not once per attempt: the first failure, a
 * failure of a different kind, and the recovery. A relay that retries against a database that is
 * down for an hour writes three lines, not thousands.
 */
final class FailureLog {
    private final Logger logger;
    private final String subject;
    private @Nullable String lastKind;
    private int attempts;

    FailureLog(Logger logger, String subject) {
        this.logger = logger;
        this.subject = subject;
    }

    void failed(String action, Throwable failure) {
        attempts++;
        String kind = kind(failure);
        if (!kind.equals(lastKind)) {
            String description = failure.getClass().getName() + ": " + failure.getMessage();
            if (lastKind == null) {
                logger.warn("{}: {} failed, retrying with back-off: {}", subject, action, description, failure);
            } else {
                logger.warn("{}: {} still failing, now with: {}", subject, action, description, failure);
            }
            lastKind = kind;
        }
    }

    /**
     * What makes two failures "the same" for logging: the exception class and SQLState, or the
     * message without its numbers (timeouts and ids differ from one attempt to the next).
     */
    static String kind(Throwable failure) {
        if (failure instanceof java.sql.SQLException sql && sql.getSQLState() != null) {
            return failure.getClass().getName() + "/" + sql.getSQLState();
        }
        return failure.getClass().getName() + ": "
                + String.valueOf(failure.getMessage()).replaceAll("[0-9]+", "#");
    }

    void recovered() {
        if (lastKind != null) {
            logger.info("{}: recovered after {} failed attempt(s)", subject, attempts);
            lastKind = null;
            attempts = 0;
        }
    }

    boolean isFailing() {
        return lastKind != null;
    }
}
