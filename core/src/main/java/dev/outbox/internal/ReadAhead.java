package dev.outbox.internal;

import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * The reads of the consumers that read ahead ({@link dev.outbox.OutboxConsumer.Builder#readAhead}):
 * a consumer's next batch is read on a thread of this pool while its handler works on the current
 * one, so that the database's work and the handler's overlap. A read ahead is only a guess at the
 * next delivery: it is used only by a delivery that asks for exactly the batch it read (the same
 * checkpoint, bound, limit and parked keys), and dropped otherwise (the handler failed, a key was
 * parked, the lease ended). The log's entries never change once written, so a batch read earlier is
 * the batch a read now would give, or a prefix of it. One pool per relay: a thread is made when a
 * read needs one and ends after a minute without reads. Thread-safe.
 */
final class ReadAhead implements AutoCloseable {

    /**
     * The batch a read ahead is for: {@link LogBatch#read}'s arguments that can change between two
     * deliveries, the parked keys as they were when it began.
     */
    record Ask(long after, long maxSeq, int limit, Set<String> parkedKeys) {

        Ask {
            parkedKeys = Set.copyOf(parkedKeys);
        }

        boolean is(long checkpoint, long askedMaxSeq, int askedLimit, Set<String> askedParkedKeys) {
            return after == checkpoint
                    && maxSeq == askedMaxSeq
                    && limit == askedLimit
                    && parkedKeys.equals(askedParkedKeys);
        }
    }

    /** A read of the batch after {@link Ask#after()}, running or done. */
    static final class Pending {

        private final Ask ask;
        private final CompletableFuture<LogBatch> read;

        private Pending(Ask ask, CompletableFuture<LogBatch> read) {
            this.ask = ask;
            this.read = read;
        }

        /**
         * The batch read, when it is the one a delivery asks for (after {@code checkpoint}, and so
         * on), waiting for the read to end; {@code null} when it is not (the read is then dropped).
         *
         * @throws SQLException what the read threw, as a read made now would have
         */
        @Nullable
        LogBatch take(long checkpoint, long maxSeq, int limit, Set<String> parkedKeys) throws SQLException {
            if (!ask.is(checkpoint, maxSeq, limit, parkedKeys)) {
                discard();
                return null;
            }
            try {
                return read.join();
            } catch (CompletionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof SQLException sql) {
                    throw sql;
                }
                if (cause instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (cause instanceof Error error) {
                    throw error;
                }
                throw e;
            }
        }

        /** Drops the read: one that has not begun never runs; one that runs ends on its own. */
        void discard() {
            read.cancel(false);
        }
    }

    /** A read of one batch: {@link LogBatch#read} on a borrowed connection. */
    @FunctionalInterface
    interface Read {
        LogBatch run() throws SQLException;
    }

    private final ExecutorService readers = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "outbox-read-ahead");
        thread.setDaemon(true);
        return thread;
    });

    /** Begins {@code read}, the batch {@code ask} describes; {@code null} once the relay stops. */
    @Nullable
    Pending start(Ask ask, Read read) {
        try {
            return new Pending(
                    ask,
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return read.run();
                                } catch (SQLException e) {
                                    throw new CompletionException(e);
                                }
                            },
                            readers));
        } catch (RejectedExecutionException e) { // closed: the delivery reads for itself
            return null;
        }
    }

    /** Stops the pool; a read still running ends on its own (the relay aborts its connection). */
    @Override
    public void close() {
        readers.shutdownNow();
    }
}
