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
        String kind = failure.getClass().getName() + ": " + failure.getMessage();
        if (!kind.equals(lastKind)) {
            if (lastKind == null) {
                logger.warn("{}: {} failed, retrying with back-off: {}", subject, action, kind, failure);
            } else {
                logger.warn("{}: {} still failing, now with: {}", subject, action, kind, failure);
            }
            lastKind = kind;
        }
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
