package dev.outbox.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.spring.testapp.AppSchema;
import dev.outbox.spring.testapp.EnrollmentService;
import dev.outbox.spring.testapp.TestApplication;
import dev.outbox.testkit.junit.OutboxExtension;
import dev.outbox.testsupport.database.PostgresServers;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A user's own {@code @SpringBootTest} of a service that appends events, with the test kit's
 * extension attached to the application's relay: no sleeps, and the README quotes it.
 */
@SpringBootTest(classes = TestApplication.class)
@DirtiesContext
class SpringBootTestExtensionTest {

    private static final AppSchema DATABASE = AppSchema.create(PostgresServers.locate(), "spring_boot_test");

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        Arrays.stream(DATABASE.properties()).forEach(property -> {
            int equals = property.indexOf('=');
            registry.add(property.substring(0, equals), () -> property.substring(equals + 1));
        });
    }

    @BeforeAll
    static void aCourse(@Autowired JdbcTemplate jdbc) {
        jdbc.update("insert into course (id, seats, trail) values (1, 0, '')");
    }

    @AfterAll
    static void dropTheSchema(@Autowired OutboxRelay relay) {
        relay.close(); // before its schema goes; @DirtiesContext closes the rest of the application
        DATABASE.close();
    }

    // [readme:spring-test]
    @Autowired
    EnrollmentService service;

    @Autowired
    OutboxRelay relay;

    @RegisterExtension
    final OutboxExtension outbox = OutboxExtension.attachedTo(() -> relay);

    @Test
    void anEnrolmentIsPublished() {
        service.enrol(1, "ada");

        outbox.awaitConsumed("recorded"); // every event committed so far is handled: no sleep

        assertThat(outbox.recorded("recorded").records())
                .extracting(OutboxRecord::payload)
                .containsExactly("ada");
    }
    // [readme:end]
}
