package dev.outbox.internal;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leases of a relay's at-least-once consumers alive while their handlers run, from a
 * thread of its own ({@code outbox-lease-keeper}): every third of the lease, a renewal that names
 * the epoch. A handler may then run longer than the lease without a standby taking its consumer
 * over and delivering the same batch meanwhile. If a renewal finds the lease lost, the consumer
 * saves nothing of that batch ({@link ConsumerLease#checkNotFenced()}); if renewals fail (the
 * database unreachable), the lease expires a lease after the last one that succeeded.
 *
 * <p>A transactional handler needs none of this: its transaction holds the consumer's row lock,
 * which a standby's takeover skips. Thread-safe.
 */
final class LeaseKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    /** Stops keeping one lease alive. */
    interface Hold extends AutoCloseable {
        @Override
        void close();
    }

    private final ScheduledExecutorService scheduler;
    private final long intervalNanos;

    LeaseKeeper(Duration leaseDuration) {
        this.intervalNanos = Math.max(1, leaseDuration.toNanos() / 3);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "outbox-lease-keeper");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Renews {@code lease} every third of its duration until the returned hold is closed. */
    Hold keepAlive(ConsumerLease lease, String consumer) {
        ScheduledFuture<?> renewals = scheduler.scheduleWithFixedDelay(
                () -> {
                    try {
                        lease.renewWhileHandling();
                    } catch (Throwable e) { // the next tick tries again; the lease bounds the damage
                        LOG.debug("consumer '{}': renewing the lease while its handler runs failed", consumer, e);
                    }
                },
                intervalNanos,
                intervalNanos,
                TimeUnit.NANOSECONDS);
        return () -> renewals.cancel(false);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
