package dev.outbox.internal;

import dev.outbox.DeadLetter;
import dev.outbox.DownstreamUnavailableException;
import dev.outbox.EventHandler;
import dev.outbox.Lease;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRecord;
import dev.outbox.SessionHandler;
import dev.outbox.spi.SqlFailure;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongPredicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery to an {@link EventHandler} or a {@link SessionHandler}'s session: the batch is read, the
 * handler called with no transaction, lock or pooled connection held (the {@link LeaseKeeper} renews
 * the lease meanwhile), and the checkpoint saved after it returns. When the handler fails, every
 * entry before the failing one is saved first: entries it reported processed, and entries parked
 * behind their key.
 *
 * <p>A session is opened before the first delivery of a lease and closed when the lease ends; a
 * plain {@link EventHandler} is a session that keeps nothing. A session that cannot be opened is a
 * downstream that is unavailable: waited out, never counted against the events.
 *
 * <p>A consumer that reads ahead has its next batch read (by {@link ReadAhead}) while the handler
 * works on a full one; the next delivery uses it when it asks for that very batch.
 */
final class AtLeastOnceDelivery implements Delivery {

    private static final Logger LOG = LoggerFactory.getLogger(AtLeastOnceDelivery.class);

    private final OutboxConsumer consumer;
    private final SessionHandler sessions;
    private final RelayContext context;
    private final ConsumerLease lease;
    private final DeadLetterStore deadLetters;
    private final LeaseKeeper keeper;
    private final Clock clock;
    private final ReadAhead readAhead;
    /** The read of the next batch begun while the handler worked on this one; the consumer's thread only. */
    private ReadAhead.@Nullable Pending ahead;
    /** The session of the lease held now, once opened; the consumer's thread only. */
    private SessionHandler.@Nullable Session session;

    AtLeastOnceDelivery(
            OutboxConsumer consumer,
            SessionHandler sessions,
            RelayContext context,
            ConsumerLease lease,
            DeadLetterStore deadLetters,
            LeaseKeeper keeper,
            ReadAhead readAhead) {
        this.consumer = consumer;
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        this.context = context;
        this.lease = lease;
        this.deadLetters = deadLetters;
        this.keeper = keeper;
        this.readAhead = readAhead;
        this.clock = context.options.clock();
    }

    @Override
    public Outcome deliver(long checkpoint, long maxSeq, int limit, Set<String> parkedKeys, LongPredicate clearsFailure)
            throws SQLException {
        LogBatch batch = ahead != null ? ahead.take(checkpoint, maxSeq, limit, parkedKeys) : null;
        ahead = null;
        if (batch == null) {
            batch = read(checkpoint, maxSeq, limit, parkedKeys);
        }
        if (batch.isEmpty()) {
            return new Empty();
        }
        if (consumer.readsAhead() && batch.more()) {
            // the batch after this one, if this one is processed whole: read while the handler works
            ReadAhead.Ask next = new ReadAhead.Ask(batch.lastSeq(), maxSeq, limit, parkedKeys);
            ahead = readAhead.start(next, () -> read(next.after(), maxSeq, limit, next.parkedKeys()));
        }
        Throwable thrown = handle(batch.handed(), false);
        if (thrown != null) {
            Failed failed = Delivery.failure(checkpoint, batch.handed(), thrown);
            if (failed != null) {
                long progress = failed.remaining().get(0).seq() - 1;
                if (progress <= checkpoint) {
                    return failed;
                }
                save(progress, batch.behindKeyBefore(progress + 1), false);
                return new Failed(progress, failed.remaining(), failed.located(), failed.cause());
            }
            LOG.warn(
                    "consumer '{}': the handler reported all {} events processed and threw; saving them",
                    consumer.name(),
                    batch.handed().size(),
                    thrown);
        }
        boolean clear = clearsFailure.test(batch.lastSeq());
        save(batch.lastSeq(), batch.behindKey(), clear);
        return new Delivered(batch.lastSeq(), batch.rowsRead(), clear, batch.more());
    }

    private LogBatch read(long checkpoint, long maxSeq, int limit, Set<String> parkedKeys) throws SQLException {
        return context.withConnection(connection ->
                LogBatch.read(context, connection, lease.partition(), checkpoint, maxSeq, limit, parkedKeys));
    }

    @Override
    public Redelivery redeliver(List<DeadLetter> letters) throws SQLException {
        List<DeadLetter> claimed = context.inTransaction(connection -> {
            lease.lockRow(connection);
            return deadLetters.claimRedrive(connection, consumer.name(), letters);
        });
        if (claimed.isEmpty()) {
            return new Redelivery(List.of(), null, null);
        }
        Throwable thrown = handle(claimed.stream().map(DeadLetter::record).toList(), true);
        Redelivery outcome =
                thrown == null ? new Redelivery(claimed, null, null) : Delivery.redeliveryFailed(claimed, thrown, true);
        context.withConnection(connection -> {
            deadLetters.deleteRedriven(connection, consumer.name(), outcome.delivered());
            return null;
        });
        deadLetters.releaseRedrive(
                consumer.name(), claimed.subList(outcome.delivered().size(), claimed.size()));
        return outcome;
    }

    @Override
    public void leaseEnded() {
        if (ahead != null) {
            ahead.discard();
            ahead = null;
        }
        SessionHandler.Session ended = session;
        session = null;
        if (ended == null) {
            return;
        }
        try {
            ended.close();
        } catch (Throwable e) { // the session is over either way (SessionHandler.Session#close)
            LOG.warn("{}: closing the handler's session failed", lease.partition(), e);
        }
    }

    /**
     * Calls the handler (a re-drive's dead letters: {@link SessionHandler.Session#redeliver}) with the
     * lease kept alive; returns what it threw, or {@code null}.
     */
    private @Nullable Throwable handle(List<OutboxRecord> handed, boolean deadLetters) {
        if (handed.isEmpty()) {
            return null;
        }
        Throwable thrown = null;
        try (LeaseKeeper.Hold hold = keeper.keepAlive(lease, consumer.name());
                LogContext.HandlerScope logged = LogContext.aroundHandler(handed)) {
            SessionHandler.Session current = session();
            if (deadLetters) {
                current.redeliver(handed);
            } else {
                current.handle(handed);
            }
        } catch (Throwable t) { // anything a handler throws is a failed delivery (EventHandler)
            thrown = t;
        }
        lease.checkNotFenced();
        return thrown;
    }

    /** The lease's session, opened now if it is not yet. */
    private SessionHandler.Session session() {
        if (session == null) {
            Lease taken = lease.describe();
            try {
                session = Objects.requireNonNull(sessions.open(taken), "SessionHandler.open returned null");
            } catch (Throwable e) { // not the events' fault: waited out as the downstream (SessionHandler)
                throw new DownstreamUnavailableException(
                        lease.partition() + ": its handler's session could not be opened: " + e, e);
            }
            LOG.debug("{}: handler session opened for {}", lease.partition(), taken);
        }
        return session;
    }

    /** The sessions of a plain {@link EventHandler}: each one the handler itself, keeping nothing. */
    static SessionHandler sessionsOf(EventHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return lease -> handler::handle;
    }

    /**
     * Saves the checkpoint at {@code seq}, parking {@code behindKey} in the same transaction. A
     * deadlock or lock timeout of the plain update is retried here rather than by the loop: the
     * loop would deliver the batch again.
     */
    private void save(long seq, List<OutboxRecord> behindKey, boolean clearFailure) throws SQLException {
        if (!behindKey.isEmpty()) {
            context.inTransaction(connection -> {
                deadLetters.parkBehindKey(connection, lease.partition(), behindKey, clock.instant());
                lease.saveCheckpoint(connection, seq, clearFailure);
                return null;
            });
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                context.withConnection(connection -> {
                    lease.saveCheckpoint(connection, seq, clearFailure);
                    return null;
                });
                return;
            } catch (SQLException e) {
                if (attempt >= 5 || context.dialect.classify(e) != SqlFailure.TRANSIENT) {
                    throw e;
                }
            }
        }
    }
}
