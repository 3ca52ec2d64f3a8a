package dev.outbox.spring.testapp;

import dev.outbox.spring.OutboxHandler;
import dev.outbox.testkit.RecordingHandler;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * An application as a user writes one: JPA entities, a {@code @Transactional} service, a handler bean,
 * its schema (business table and the outbox's) created by its own Liquibase changelog.
 */
@SpringBootApplication
public class TestApplication {

    /** Everything the application appends, as the relay delivers it. */
    @Bean
    @OutboxHandler("recorded")
    RecordingHandler recorded() {
        return new RecordingHandler();
    }
}
