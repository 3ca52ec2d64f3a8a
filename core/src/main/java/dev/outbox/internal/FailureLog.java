package dev.outbox.internal;

import dev.outbox.OutboxSchemaException;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.SQLException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * How a relay loop reacts to a failure of its own work (not of a handler): how long it waits before
 * trying again, what it logs, and what it reports in {@link RelayProblems}. It logs once per change
 * of state, not once per attempt (the first failure, a failure of a different kind, the recovery):
 * a relay that retries against a database that is down for an hour writes three lines, not
 * thousands. A deadlock or lock timeout is retried at once a few times and logged only if it
 * persists: the database resolved it by design. Missing tables and failures that do not come from
 * the database (a bug, an {@link Error}) are logged at ERROR: they need a person.
 *
 * <p>One per loop; not thread-safe.
 */
final class FailureLog {

    /** Transient failures (deadlocks) retried quickly and quietly before they count as a state. */
    private static final int QUIET_TRANSIENT_RETRIES = 5;

    private final Logger logger;
    private final String subject;
    private final String source;
    private final OutboxDialect dialect;
    private final RelayProblems problems;
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    private @Nullable String lastKind;
    private int attempts;
    private int transientInARow;

    /**
     * @param subject what fails, in log lines ({@code "consumer 'search'"})
     * @param source the key of its problems in {@code problems}
     */
    FailureLog(Logger logger, String subject, String source, OutboxDialect dialect, RelayProblems problems) {
        this.logger = logger;
        this.subject = subject;
        this.source = source;
        this.dialect = dialect;
        this.problems = problems;
    }

    /** Records a failure of {@code action}; returns how long to wait before trying again. */
    Duration failed(String action, Throwable failure) {
        attempts++;
        if (Failures.is(failure, SqlFailure.TRANSIENT, dialect) && ++transientInARow <= QUIET_TRANSIENT_RETRIES) {
            logger.debug("{}: {} hit a transient failure (deadlock, lock timeout), retrying", subject, action, failure);
            return Duration.ofMillis(5L * transientInARow);
        }
        String kind = kind(failure);
        if (!kind.equals(lastKind)) {
            String description = failure.getClass().getName() + ": " + failure.getMessage();
            problems.report(source, action + " fails: " + description);
            if (failure instanceof OutboxSchemaException) {
                logger.error(
                        "{}: {} failed; retrying with back-off until the schema is right: {}",
                        subject,
                        action,
                        failure.getMessage());
            } else if (!Failures.fromDatabase(failure)) {
                logger.error(
                        "{}: {} failed unexpectedly; retrying with back-off: {}",
                        subject,
                        action,
                        description,
                        failure);
            } else if (lastKind == null) {
                logger.warn("{}: {} failed, retrying with back-off: {}", subject, action, description, failure);
            } else {
                logger.warn("{}: {} still failing, now with: {}", subject, action, description, failure);
            }
            lastKind = kind;
        }
        return backoff.next();
    }

    /** Records a success: logs the recovery if the loop was failing, and resets the back-off. */
    void recovered() {
        transientInARow = 0;
        backoff.reset();
        if (lastKind != null) {
            logger.info("{}: recovered after {} failed attempt(s)", subject, attempts);
            problems.clear(source);
            lastKind = null;
        }
        attempts = 0;
    }

    /** Whether the loop is in a failing state now. */
    boolean failing() {
        return lastKind != null;
    }

    /**
     * What makes two failures "the same" for logging: the exception class and SQLState, or the
     * message without its numbers (timeouts and ids differ from one attempt to the next).
     */
    static String kind(Throwable failure) {
        if (failure instanceof SQLException sql && sql.getSQLState() != null) {
            return failure.getClass().getName() + "/" + sql.getSQLState();
        }
        return failure.getClass().getName() + ": "
                + String.valueOf(failure.getMessage()).replaceAll("[0-9]+", "#");
    }
}
