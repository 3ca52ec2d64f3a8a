package dev.outbox.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxWriter;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.core.Ordered;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Two threads update the same aggregate through JPA and append an event each, many times: the log
 * keeps, per aggregate, the order in which the aggregate's row was updated (its {@code trail}). A
 * writer that inserts its events before Hibernate flushes the update (and takes the row's lock)
 * breaks that, and the same check catches it.
 */
abstract class JpaOrderingTest extends TestApplicationTestBase {

    private static final int THREADS = 2;
    private static final int ROUNDS = 150;

    JpaOrderingTest() {
        super("spring_jpa");
    }

    @Test
    void theLogKeepsTheOrderOfTheAggregatesUpdates() throws Exception {
        SpringOutboxWriter writer = application.getBean(SpringOutboxWriter.class);
        long course = newCourse(1);

        run(course, event -> {
            writer.append(event);
            pauseBeforeCommit();
        });

        assertThat(logOrder(course)).hasSize(THREADS * ROUNDS).isEqualTo(service.trail(course));
    }

    @Test
    void aWriterThatInsertsBeforeTheFlushIsCaught() throws Exception {
        OutboxWriter writer = application.getBean(OutboxWriter.class);
        DataSource dataSource = application.getBean(DataSource.class);
        // Attempts with fresh aggregates until the race shows; each has hundreds of chances.
        for (int attempt = 1; attempt <= 5; attempt++) {
            long course = newCourse(100 + attempt);
            run(course, event -> {
                insertBeforeTheFlush(writer, dataSource, event);
                pauseBeforeCommit();
            });
            List<String> logOrder = logOrder(course);
            assertThat(logOrder).hasSize(THREADS * ROUNDS).hasSameElementsAs(service.trail(course));
            if (!logOrder.equals(service.trail(course))) {
                return; // caught: the log's order differs from the row's
            }
        }
        throw new AssertionError("inserting events before the JPA flush never reordered the log in 5 runs of "
                + THREADS * ROUNDS + " transactions: the test cannot tell a broken writer from a good one");
    }

    private void run(long course, Consumer<OutboxEvent> append) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                String name = "t" + thread + "-";
                writers.add(threads.submit(() -> {
                    for (int round = 0; round < ROUNDS; round++) {
                        service.enrol(course, name + round, append);
                    }
                }));
            }
            for (Future<?> writer : writers) {
                writer.get();
            }
        } finally {
            threads.shutdownNow();
        }
        outbox.awaitConsumed("recorded");
    }

    /** The tags of {@code course}'s events, in log order. */
    private List<String> logOrder(long course) {
        return outbox.recorded("recorded").records().stream()
                .filter(record -> record.aggregateId().equals(Long.toString(course)))
                .map(OutboxRecord::payload)
                .toList();
    }

    /**
     * What a naive integration does: inserts the events first thing in {@code beforeCommit}, while
     * the entity's update is still pending in the persistence context.
     */
    private static void insertBeforeTheFlush(OutboxWriter writer, DataSource dataSource, OutboxEvent event) {
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public int getOrder() {
                return Ordered.HIGHEST_PRECEDENCE;
            }

            @Override
            public void beforeCommit(boolean readOnly) {
                Connection connection = DataSourceUtils.getConnection(dataSource);
                writer.append(connection, event);
                DataSourceUtils.releaseConnection(connection, dataSource);
            }
        });
    }

    /**
     * A random pause of up to 3 ms between the events' insert and the commit (registered after the
     * writer's synchronization, so it runs after it): other transactions get in there.
     */
    private static void pauseBeforeCommit() {
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public int getOrder() {
                return Ordered.LOWEST_PRECEDENCE;
            }

            @Override
            public void beforeCommit(boolean readOnly) {
                try {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(4));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }
}
