package dev.outbox.bench;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/** Closed-loop load: n threads, each on a connection of its own, run transactions for a while. */
final class Load {

    @FunctionalInterface
    interface Tx {
        void run(Connection connection) throws Exception;
    }

    private Load() {}

    /** Runs {@code tx} on {@code threads} threads for {@code millis}; returns committed tx/s. */
    static double closedLoop(DataSource dataSource, int threads, long millis, Tx tx) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean counting = new AtomicBoolean(false);
        LongAdder committed = new LongAdder();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(
                    () -> {
                        try (Connection connection = dataSource.getConnection()) {
                            connection.setAutoCommit(false);
                            ready.countDown();
                            while (running.get()) {
                                try {
                                    tx.run(connection);
                                    connection.commit();
                                    if (counting.get()) {
                                        committed.increment();
                                    }
                                } catch (Exception e) {
                                    connection.rollback();
                                    throw e;
                                }
                            }
                            connection.setAutoCommit(true);
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                            running.set(false);
                            ready.countDown();
                        }
                    },
                    "bench-client-" + t);
            workers.add(worker);
            worker.start();
        }
        ready.await();
        Thread.sleep(Math.min(300, millis / 4)); // all clients up and running before counting
        counting.set(true);
        long start = System.nanoTime();
        Thread.sleep(millis);
        counting.set(false);
        long elapsed = System.nanoTime() - start;
        running.set(false);
        for (Thread worker : workers) {
            worker.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a client failed: " + failure.get(), failure.get());
        }
        return committed.sum() / (elapsed / 1e9);
    }
}
