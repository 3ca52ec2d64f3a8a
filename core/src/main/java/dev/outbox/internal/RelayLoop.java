package dev.outbox.internal;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;

/**
 * The shape of every relay thread: do one step, wait as long as the step asks (or until woken),
 * repeat until stopped; on a failure, wait as the {@link FailureLog} says and try again; when
 * stopped, release what the loop holds. The wait is the only place a loop can be interrupted:
 * a step in progress always runs to its end (its transaction commits or rolls back).
 *
 * <p>A loop never dies of a failure: whatever a step throws, {@link Error}s included, is logged,
 * reported, waited out and tried again. That holds for a {@link VirtualMachineError} too: a thread
 * that died would stop its consumer or the sequencer silently, which is worse than a relay that goes
 * on after the memory it failed to get is freed; an application that wants to die on {@code
 * OutOfMemoryError} has {@code -XX:+ExitOnOutOfMemoryError}.
 */
abstract class RelayLoop implements Runnable {

    protected final Signal wakeUp = new Signal();
    protected final FailureLog failures;
    protected volatile boolean stopping;

    RelayLoop(FailureLog failures) {
        this.failures = failures;
    }

    /** One turn of the loop; returns how long to wait before the next ({@link Duration#ZERO}: none). */
    protected abstract Duration step() throws SQLException;

    /** How long to wait after {@code step} threw {@code failure}. */
    protected Duration onFailure(Throwable failure) {
        return failures.failed("working", failure);
    }

    /** Releases locks and leases after the loop ended; must not throw. */
    protected abstract void release();

    /** What this loop's log lines carry in the MDC while it runs ({@link LogContext}). */
    protected abstract Map<String, String> logContext();

    /** Ends the loop after its current step. */
    void stop() {
        stopping = true;
        wakeUp.signal();
    }

    private Duration failureWait(Throwable failure) {
        try {
            return onFailure(failure);
        } catch (Throwable whileHandling) { // out of memory even for the log line: wait and go on
            return Duration.ofSeconds(1);
        }
    }

    @Override
    public final void run() {
        Map<String, String> logContext = logContext();
        LogContext.enter(logContext);
        try {
            while (!stopping) {
                Duration wait;
                try {
                    wait = step();
                    failures.recovered();
                } catch (Throwable e) { // see the class comment: a loop never dies
                    wait = failureWait(e);
                }
                if (!wait.isZero() && !stopping) {
                    wakeUp.await(wait);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            release();
            LogContext.leave(logContext);
        }
    }
}
