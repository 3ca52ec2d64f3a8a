package dev.outbox.internal;

import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a live lease recorded under this relay's own id that this relay instance does not hold.
 * It is either this relay's earlier life, which crashed (its lease runs out by itself, and then this
 * instance takes the work back), or another relay running with the same id, which renews it: then
 * the watch reports the conflict. A relay never takes such a lease before it expires, so two relays
 * with one id never fight over leases. One per lease; not thread-safe.
 */
final class OwnIdWatch {

    private static final Logger LOG = LoggerFactory.getLogger(OwnIdWatch.class);

    private final String lease;
    private final String relayId;
    private final RelayProblems problems;
    private @Nullable Instant lastSeenUntil;
    private boolean watching;

    /** @param lease what the lease is for, in messages ({@code "consumer 'search'"}) */
    OwnIdWatch(String lease, String relayId, RelayProblems problems) {
        this.lease = lease;
        this.relayId = relayId;
        this.problems = problems;
    }

    /** Another instance holds the lease under this relay's id, live until {@code leaseUntil}. */
    void seen(@Nullable Instant leaseUntil) {
        if (!watching) {
            watching = true;
            lastSeenUntil = leaseUntil;
            LOG.info(
                    "{}: its lease is held under this relay's id {} by another instance; waiting until it"
                            + " expires (a restart of this relay within its lease)",
                    lease,
                    relayId);
            return;
        }
        if (leaseUntil != null && (lastSeenUntil == null || leaseUntil.isAfter(lastSeenUntil))) {
            lastSeenUntil = leaseUntil;
            String description = "another relay runs with relayId '" + relayId + "' against these tables (it renews"
                    + " the lease of " + lease + "); give every relay its own relayId. This relay stays on"
                    + " standby while that one runs";
            if (problems.report(RelayProblems.RELAY_ID, description)) {
                LOG.error("relay {}: {}", relayId, description);
            }
        }
    }

    /** This instance took the lease: whoever held it under this id is gone. */
    void taken() {
        if (watching) {
            watching = false;
            lastSeenUntil = null;
            problems.clear(RelayProblems.RELAY_ID);
        }
    }
}
