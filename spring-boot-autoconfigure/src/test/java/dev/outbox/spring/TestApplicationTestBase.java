package dev.outbox.spring;

import dev.outbox.OutboxRelay;
import dev.outbox.spring.testapp.AppSchema;
import dev.outbox.spring.testapp.EnrollmentService;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testkit.junit.OutboxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The test application, started once for a test class on a schema of its own on {@link
 * #database()}, with the test kit's extension attached to its relay.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TestApplicationTestBase {

    private final String schemaHint;
    private AppSchema database;
    ConfigurableApplicationContext application;
    EnrollmentService service;

    @RegisterExtension
    final OutboxExtension outbox = OutboxExtension.attachedTo(() -> application.getBean(OutboxRelay.class));

    TestApplicationTestBase(String schemaHint) {
        this.schemaHint = schemaHint;
    }

    abstract TestDatabase database();

    @BeforeAll
    void startApplication() {
        database = AppSchema.create(database(), schemaHint);
        application = database.start();
        service = application.getBean(EnrollmentService.class);
    }

    @AfterAll
    void stopApplication() {
        if (application != null) {
            application.close();
        }
        if (database != null) {
            database.close();
        }
    }

    /** Adds course {@code id}, with no seat taken. */
    long newCourse(long id) {
        application.getBean(JdbcTemplate.class).update("insert into course (id, seats, trail) values (?, 0, '')", id);
        return id;
    }
}
