package dev.outbox;

import java.util.List;

/**
 * An at-least-once consumer callback that keeps state for as long as a relay holds the consumer's
 * lease (of a split consumer: a partition's lease): a producer with its own fencing, a connection to
 * a remote system, a position kept downstream. Register it with {@link
 * OutboxConsumer#withSessions(String, SessionHandler)}.
 *
 * <p>When a relay has taken the lease and has entries to deliver, it calls {@link #open} on the
 * consumer's (partition's) thread and hands that lease's batches to the returned {@link Session},
 * in {@code seq} order, as it hands them to an {@link EventHandler}; everything {@link
 * EventHandler} says of failures, {@link PartialSuccessException}, {@link
 * DownstreamUnavailableException} and the lease kept alive while the handler runs holds for a
 * session too. When the relay gives the lease up (to balance partitions, or on {@code close()}),
 * learns that it lost it (taken over after a pause, or the consumer was reset), it closes the
 * session on the same thread; the next lease gets a new one. A process that dies closes nothing:
 * the next owner opens its own session, and whatever the dead one left downstream is the
 * downstream's to fence (a Kafka transactional producer with the same {@code transactional.id}
 * does).
 *
 * <p>If {@code open} throws, nothing is delivered and nothing counts as a failed attempt: the
 * relay waits as for an unavailable downstream (status {@link
 * ConsumerStatus.State#WAITING_FOR_DOWNSTREAM} with the error) and opens again after the retry
 * policy's back-off, for ever.
 *
 * <p>The partitions of a split consumer run side by side, so {@code open} may be called from several
 * threads at once: an implementation is thread-safe. Each session is used by one thread at a time.
 */
@FunctionalInterface
public interface SessionHandler {

    /**
     * Opens a session for the lease a relay took. Called before the lease's first delivery, on the
     * thread that delivers.
     *
     * @throws Exception if the session cannot be opened: retried after a back-off, never counted
     */
    Session open(Lease lease) throws Exception;

    /** The handler of one lease: {@link #open} makes one, the relay closes it when the lease ends. */
    interface Session extends EventHandler, AutoCloseable {

        /**
         * Delivers dead letters a re-drive asked for: events of this lease's consumer (partition)
         * that were parked, handed again in {@code seq} order, each at or before the checkpoint
         * (so out of the log's order). Failures count as for {@link #handle}. By default, {@link
         * #handle}; a session that keeps a position of its own downstream delivers them without
         * moving it.
         */
        default void redeliver(List<OutboxRecord> deadLetters) throws Exception {
            handle(deadLetters);
        }

        /**
         * Ends the session: the relay no longer holds the lease, or is stopping. Called once, on the
         * thread that delivered, never while a call to {@link #handle} runs. What it throws is
         * logged and otherwise ignored.
         */
        @Override
        default void close() throws Exception {}
    }
}
