package dev.outbox.examples.spring;

import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.examples.CourseEnrollmentApp;
import dev.outbox.examples.DatabaseProduct;
import dev.outbox.examples.EnrollmentCountsProjection;
import dev.outbox.examples.ExampleDatabase;
import dev.outbox.examples.SearchIndex;
import dev.outbox.examples.Settings;
import dev.outbox.micrometer.OutboxMetrics;
import dev.outbox.spring.OutboxHandler;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The course-enrolment example as a Spring Boot application: JPA entities for the business tables, a
 * {@code @Transactional} service that appends events with {@code SpringOutboxWriter}, the two
 * derived systems as handler beans, the relay run by the starter with the settings of {@code
 * application.properties}. The run itself (clients, rewind, catch-up, consistency check) is {@link
 * CourseEnrollmentApp}'s, so both editions end with the same check.
 */
@SpringBootApplication
public class SpringEnrollmentApp {

    public static void main(String[] args) {
        CourseEnrollmentApp.main(args, wiring());
    }

    /** This edition's parts, for {@link CourseEnrollmentApp#run(Settings, CourseEnrollmentApp.Wiring)}. */
    public static CourseEnrollmentApp.Wiring wiring() {
        return SpringEnrollmentApp::wire;
    }

    // [readme:spring-handlers]
    /** The read model, updated exactly once, in the relay's transaction. */
    @Bean
    @OutboxHandler(EnrollmentCountsProjection.CONSUMER_NAME)
    EnrollmentCountsProjection enrollmentCounts(@Value("${example.database}") DatabaseProduct database) {
        return new EnrollmentCountsProjection(database);
    }

    /** The search index, updated at least once (it skips what it applied already). */
    @Bean
    @OutboxHandler(SearchIndex.CONSUMER_NAME)
    SearchIndex searchIndex(@Value("${example.index-dir}") Path indexDir) throws IOException {
        return new SearchIndex(indexDir);
    }
    // [readme:end]

    /** Starts the application on the example's database; closing the result closes the context. */
    private static CourseEnrollmentApp.Wired wire(Settings settings, ExampleDatabase database, Path indexDir) {
        if (settings.kafka()) {
            throw new IllegalArgumentException(
                    "--kafka is not part of the Spring Boot edition; run CourseEnrollmentApp for it");
        }
        // Connections: the clients, the relay's sequencer and consumers, spare.
        Map<String, Object> properties =
                new LinkedHashMap<>(database.springDataSourceProperties(settings.clients() + 6));
        properties.put("outbox.tables.schema", settings.schema());
        properties.put("example.database", database.product().name());
        properties.put("example.index-dir", indexDir.toString());
        ConfigurableApplicationContext application = new SpringApplicationBuilder(SpringEnrollmentApp.class)
                .main(SpringEnrollmentApp.class)
                .web(WebApplicationType.NONE)
                .properties(properties)
                .run();
        return new CourseEnrollmentApp.Wired(
                application.getBean(OutboxTables.class),
                application.getBean(SpringEnrollmentService.class),
                application.getBean(OutboxRelay.class),
                application.getBean(SearchIndex.class),
                application.getBean(MeterRegistry.class),
                application.getBean(OutboxMetrics.class).samplingInterval(),
                null,
                application::close);
    }
}
