package dev.outbox.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.EventHandler;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.RelayHealth;
import dev.outbox.spring.testapp.AppSchema;
import dev.outbox.spring.testapp.EnrollmentService;
import dev.outbox.testsupport.database.PostgresServers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The relay lives with the application context: it starts once Liquibase created its tables, and
 * closing the context lets an in-flight batch finish, saves its checkpoint and releases the leases,
 * so another instance takes over at once rather than after the lease ran out.
 */
class RelayLifecycleTest {

    /** What the slow consumer handled, in every context of the test. */
    static final List<Long> HANDLED = new CopyOnWriteArrayList<>();

    static volatile CountDownLatch entered = new CountDownLatch(1);

    private AppSchema database;

    @Configuration(proxyBeanMethods = false)
    static class SlowConsumer {
        @Bean
        @OutboxHandler("slow")
        EventHandler slow() {
            return batch -> {
                entered.countDown();
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while handling", e);
                }
                batch.stream().map(OutboxRecord::seq).forEach(HANDLED::add);
            };
        }
    }

    @BeforeEach
    void createSchema() {
        database = AppSchema.create(PostgresServers.locate(), "spring_life");
        HANDLED.clear();
        entered = new CountDownLatch(1);
    }

    @AfterEach
    void dropSchema() {
        database.close();
    }

    @Test
    void theRelayStartsAfterLiquibaseCreatedItsTables() {
        // The schema is empty: only the application's Liquibase run creates the outbox's tables, and a
        // relay started before it would be refused (it checks the schema when it starts).
        try (ConfigurableApplicationContext application = database.start()) {
            OutboxRelay relay = application.getBean(OutboxRelay.class);
            RelayHealth health = relay.health();
            assertThat(health.isUp()).as("%s", health).isTrue();
            assertThat(application.getBean(OutboxRelayLifecycle.class).isRunning())
                    .isTrue();
        }
    }

    @Test
    void closingTheContextFinishesTheBatchAndHandsTheConsumerOverAtOnce() throws Exception {
        String[] properties = {"outbox.consumers.slow.start-from=beginning", "outbox.relay.lease-duration=30s"};
        ConfigurableApplicationContext first = database.start(List.of(SlowConsumer.class), properties);
        first.getBean(JdbcTemplate.class).update("insert into course (id, seats, trail) values (1, 0, '')");
        first.getBean(EnrollmentService.class).enrol(1, "in-flight");
        assertThat(entered.await(30, TimeUnit.SECONDS))
                .as("the slow consumer got the event")
                .isTrue();

        first.close(); // while the handler sleeps on the batch

        assertThat(HANDLED)
                .as("the in-flight batch finished before the context closed")
                .hasSize(1);
        long handled = HANDLED.get(0);
        try (ConfigurableApplicationContext second = database.start(List.of(SlowConsumer.class), properties)) {
            OutboxRelay relay = second.getBean(OutboxRelay.class);
            long started = System.nanoTime();
            while (!relay.ownsConsumer("slow")) {
                assertThat(Duration.ofNanos(System.nanoTime() - started))
                        .as("the second instance takes the consumer over well within the 30 s lease")
                        .isLessThan(Duration.ofSeconds(10));
                Thread.sleep(10);
            }
            assertThat(relay.status("slow").checkpoint())
                    .as("the checkpoint was saved")
                    .isEqualTo(handled);
            second.getBean(EnrollmentService.class).enrol(1, "next");
            while (HANDLED.size() < 2) {
                Thread.sleep(10);
            }
            assertThat(HANDLED).as("nothing handled twice").doesNotHaveDuplicates();
        }
    }
}
