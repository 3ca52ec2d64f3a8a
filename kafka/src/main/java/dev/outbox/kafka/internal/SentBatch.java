package dev.outbox.kafka.internal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.jspecify.annotations.Nullable;

/**
 * The acknowledgements of one batch's records, sent asynchronously: which succeeded, and the first
 * failure as it happened. On that first failure it runs the given action at once, on the producer's
 * I/O thread: the publisher closes the producer there, before its sender can send anything after the
 * failed record (a record sent after a failed one, under a new producer epoch, is how a retry comes
 * out as 2, 3, 1). Thread-safe.
 */
final class SentBatch {

    private final int size;
    private final @Nullable Exception[] failures;
    private final boolean[] acked;
    private final CountDownLatch answered;
    private final AtomicReference<@Nullable Exception> first = new AtomicReference<>();
    private final Runnable onFirstFailure;

    SentBatch(int size, Runnable onFirstFailure) {
        this.size = size;
        this.failures = new Exception[size];
        this.acked = new boolean[size];
        this.answered = new CountDownLatch(size);
        this.onFirstFailure = onFirstFailure;
    }

    /** The callback of record {@code index}, which was just handed to {@code send}. */
    Callback callback(int index) {
        return (metadata, exception) -> {
            if (exception == null) {
                synchronized (this) {
                    acked[index] = true;
                }
            } else {
                failed(index, exception);
            }
            answered.countDown();
        };
    }

    /** Record {@code index} failed, in its callback or in {@code send} itself. */
    void failed(int index, Exception exception) {
        synchronized (this) {
            failures[index] = exception;
        }
        if (first.compareAndSet(null, exception)) {
            onFirstFailure.run();
        }
    }

    /** No record from {@code index} on was sent (a failure stopped the sending): none will answer. */
    void notSent(int index) {
        for (int i = index; i < size; i++) {
            answered.countDown();
        }
    }

    /** Waits until every record sent was answered; false if {@code timeoutMillis} passed first. */
    boolean await(long timeoutMillis) throws InterruptedException {
        return answered.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** How many records, from the first, were acknowledged. */
    synchronized int ackedPrefix() {
        int n = 0;
        while (n < size && acked[n]) {
            n++;
        }
        return n;
    }

    /** The failure that came first, or {@code null}. */
    @Nullable
    Exception firstFailure() {
        return first.get();
    }

    /** The failure of record {@code index}, or {@code null}. */
    synchronized @Nullable Exception failureOf(int index) {
        return failures[index];
    }
}
