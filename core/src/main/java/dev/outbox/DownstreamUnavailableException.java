package dev.outbox;

import org.jspecify.annotations.Nullable;

/**
 * Thrown by a handler to say "the system I write to is down", not "this event is bad": a search
 * cluster that refuses connections, a broker that is unreachable, a service answering 503.
 *
 * <p>The relay then retries the same delivery for ever, with the consumer's {@link RetryPolicy}
 * back-off (from {@code initialBackoff}, doubling, capped at {@code maxBackoff}). Such a failure is
 * never counted as an attempt, never parks or blocks an event, and is not bisected (the whole
 * downstream is down, not one event). While it lasts the consumer's status is {@link
 * ConsumerStatus.State#WAITING_FOR_DOWNSTREAM}, with the exception as {@code lastError} and {@code
 * waitingSince}; the relay logs once when the wait begins and once when it ends.
 *
 * <p>An {@link java.sql.SQLException} a handler lets through is treated the same way when the
 * database dialect classifies it as a lost connection, a deadlock or a lock timeout. To say that
 * the first records of a batch were written before the downstream went away, throw a {@link
 * PartialSuccessException} with this exception as its cause.
 */
public class DownstreamUnavailableException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public DownstreamUnavailableException(String message) {
        super(message);
    }

    public DownstreamUnavailableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
