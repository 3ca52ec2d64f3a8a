package dev.outbox.internal;

import dev.outbox.DeadLetter;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRecord;
import dev.outbox.TransactionalEventHandler;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery to a {@link TransactionalEventHandler}: one transaction locks the consumer's row (which
 * also fences a stale owner), reads the batch, calls the handler on that connection, parks the
 * entries behind their key and saves the checkpoint, and commits. A failure rolls all of it back.
 */
final class TransactionalDelivery implements Delivery {

    private static final Logger LOG = LoggerFactory.getLogger(TransactionalDelivery.class);

    /** Carries a handler failure out of the transaction, which it rolls back. */
    private static final class HandlerThrew extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Failed failed;

        HandlerThrew(Failed failed) {
            super(null, null, false, false);
            this.failed = failed;
        }
    }

    /** Carries a failed re-drive out of the transaction, which it rolls back. */
    private static final class RedeliveryThrew extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Redelivery outcome;

        RedeliveryThrew(Redelivery outcome) {
            super(null, null, false, false);
            this.outcome = outcome;
        }
    }

    private final OutboxConsumer consumer;
    private final TransactionalEventHandler handler;
    private final RelayContext context;
    private final ConsumerLease lease;
    private final DeadLetterStore deadLetters;
    private final Clock clock;

    TransactionalDelivery(
            OutboxConsumer consumer,
            TransactionalEventHandler handler,
            RelayContext context,
            ConsumerLease lease,
            DeadLetterStore deadLetters) {
        this.consumer = consumer;
        this.handler = Objects.requireNonNull(handler, "handler");
        this.context = context;
        this.lease = lease;
        this.deadLetters = deadLetters;
        this.clock = context.options.clock();
    }

    @Override
    public Outcome deliver(long checkpoint, long maxSeq, int limit, Set<String> parkedKeys, LongPredicate clearsFailure)
            throws SQLException {
        try {
            return lease.inLockingTransaction(connection -> {
                long saved = lease.lockRow(connection);
                LogBatch batch =
                        LogBatch.read(context, connection, lease.partition(), saved, maxSeq, limit, parkedKeys);
                if (batch.isEmpty()) {
                    return new Empty();
                }
                if (!batch.handed().isEmpty()) {
                    try (LogContext.HandlerScope logged = LogContext.aroundHandler(batch.handed())) {
                        handler.handle(batch.handed(), connection);
                    } catch (Throwable t) { // anything a handler throws is a failed delivery
                        Failed failed = Delivery.failure(saved, batch.handed(), t);
                        if (failed != null) {
                            throw new HandlerThrew(failed);
                        }
                        LOG.warn(
                                "consumer '{}': the handler reported all {} events processed and threw;"
                                        + " committing them",
                                consumer.name(),
                                batch.handed().size(),
                                t);
                    }
                }
                deadLetters.parkBehindKey(connection, lease.partition(), batch.behindKey(), clock.instant());
                boolean clear = clearsFailure.test(batch.lastSeq());
                lease.saveCheckpoint(connection, batch.lastSeq(), clear);
                return new Delivered(batch.lastSeq(), batch.rowsRead(), clear, batch.more());
            });
        } catch (HandlerThrew threw) {
            return threw.failed;
        }
    }

    @Override
    public Redelivery redeliver(List<DeadLetter> letters) throws SQLException {
        try {
            return lease.inLockingTransaction(connection -> {
                lease.lockRow(connection);
                List<DeadLetter> claimed = deadLetters.claimRedrive(connection, consumer.name(), letters);
                if (claimed.isEmpty()) {
                    return new Redelivery(List.of(), null, null);
                }
                List<OutboxRecord> records =
                        claimed.stream().map(DeadLetter::record).toList();
                try (LogContext.HandlerScope logged = LogContext.aroundHandler(records)) {
                    handler.handle(records, connection);
                } catch (Throwable t) { // rolls back the handler's writes and the claims
                    Redelivery failed = Delivery.redeliveryFailed(claimed, t, false);
                    if (failed.cause() != null) {
                        throw new RedeliveryThrew(failed);
                    }
                }
                deadLetters.deleteRedriven(connection, consumer.name(), claimed);
                lease.renewIn(connection); // the handler may have run longer than the lease
                return new Redelivery(claimed, null, null);
            });
        } catch (RedeliveryThrew threw) {
            return threw.outcome;
        }
    }

    @Override
    public void leaseEnded() {
        // a transactional handler keeps nothing between its transactions
    }
}
