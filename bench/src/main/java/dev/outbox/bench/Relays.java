package dev.outbox.bench;

import dev.outbox.EventHandler;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayOptions;
import dev.outbox.StartPosition;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/** Relays and consumers as the benchmarks use them. */
final class Relays {

    private Relays() {}

    static RelayOptions.Builder options(String id) {
        return RelayOptions.builder().relayId(id);
    }

    static OutboxRelay relay(
            BenchDb db, DataSource dataSource, RelayOptions options, @Nullable OutboxConsumer consumer) {
        OutboxRelay.Builder builder =
                OutboxRelay.builder(dataSource, db.dialect).tables(db.tables).options(options);
        if (consumer != null) {
            builder.consumer(consumer);
        }
        return builder.build();
    }

    /** A no-op consumer that counts down when it has seen seq {@code lastSeq}. */
    static final class Counting {
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicLong delivered = new AtomicLong();
        private final long lastSeq;
        volatile long doneNanos;

        Counting(long lastSeq) {
            this.lastSeq = lastSeq;
        }

        OutboxConsumer consumer(String name) {
            return consumer(name, 0);
        }

        /** {@code batchSize} 0: the consumer's default. */
        OutboxConsumer consumer(String name, int batchSize) {
            OutboxConsumer.Builder builder =
                    OutboxConsumer.atLeastOnce(name, this::handle).startFrom(StartPosition.BEGINNING);
            if (batchSize > 0) {
                builder.batchSize(batchSize);
            }
            return builder.build();
        }

        /** The counting handler itself, to wrap or register on a builder of one's own. */
        EventHandler handler() {
            return this::handle;
        }

        private void handle(List<OutboxRecord> batch) {
            delivered.addAndGet(batch.size());
            if (batch.get(batch.size() - 1).seq() >= lastSeq && doneNanos == 0) {
                doneNanos = System.nanoTime();
                done.countDown();
            }
        }

        void await(long timeoutSeconds) throws InterruptedException {
            if (!done.await(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IllegalStateException("consumer saw " + delivered.get() + " events, not up to seq " + lastSeq
                        + " within " + timeoutSeconds + " s");
            }
        }
    }

    /** A handler that calls {@code onRecord} for each record. */
    static OutboxConsumer perRecord(String name, StartPosition start, Consumer<OutboxRecord> onRecord) {
        return OutboxConsumer.atLeastOnce(name, batch -> batch.forEach(onRecord))
                .startFrom(start)
                .build();
    }
}
