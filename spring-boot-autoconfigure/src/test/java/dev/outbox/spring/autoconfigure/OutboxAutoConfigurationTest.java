package dev.outbox.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.EventHandler;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.StartPosition;
import dev.outbox.micrometer.OutboxMetrics;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spring.OutboxHandler;
import dev.outbox.spring.OutboxRelayLifecycle;
import dev.outbox.spring.SpringOutboxWriter;
import dev.outbox.spring.actuate.OutboxEndpoint;
import dev.outbox.spring.actuate.OutboxHealthIndicator;
import dev.outbox.spring.testapp.AppSchema;
import dev.outbox.testsupport.database.PostgresServers;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.health.HealthContributorAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;

/**
 * What the auto-configuration makes of the properties and beans, with the relay started on a real
 * PostgreSQL schema created by {@code outbox.migrations.enabled}; and the properties' validation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutboxAutoConfigurationTest {

    private AppSchema database;
    private ApplicationContextRunner runner;

    @BeforeAll
    void createSchema() {
        database = AppSchema.create(PostgresServers.locate(), "spring_config");
        runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class,
                        OutboxAutoConfiguration.class,
                        OutboxActuatorAutoConfiguration.class,
                        OutboxMetricsAutoConfiguration.class,
                        HealthContributorAutoConfiguration.class,
                        EndpointAutoConfiguration.class,
                        MetricsAutoConfiguration.class,
                        SimpleMetricsExportAutoConfiguration.class,
                        CompositeMeterRegistryAutoConfiguration.class))
                .withPropertyValues(database.dataSourceProperties().toArray(String[]::new))
                .withPropertyValues("outbox.migrations.enabled=true", "outbox.consumers.split.partitions=4")
                .withUserConfiguration(AuditHandler.class);
    }

    @AfterAll
    void dropSchema() {
        if (database != null) {
            database.close();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class AuditHandler {
        @Bean
        @OutboxHandler("audit")
        EventHandler auditHandler() {
            return batch -> {};
        }

        @Bean
        @OutboxHandler("split")
        EventHandler splitHandler() {
            return batch -> {};
        }

        @Bean
        OutboxConsumer builtInCode() {
            return OutboxConsumer.atLeastOnce("built-in-code", batch -> {})
                    .batchSize(3)
                    .build();
        }
    }

    @Test
    void thePropertiesConfigureTheRelayAndItsConsumers() {
        runner.withPropertyValues(
                        "outbox.relay.relay-id=configured-relay",
                        "outbox.relay.lease-duration=5s",
                        "outbox.relay.keep-log-forever=true",
                        "outbox.consumers.audit.batch-size=7",
                        "outbox.consumers.audit.start-from=beginning",
                        "outbox.consumers.audit.failure-policy=park",
                        "outbox.consumers.audit.read-ahead=true",
                        "outbox.consumers.audit.retry.max-attempts=3",
                        "outbox.consumers.audit.retry.initial-backoff=50ms")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    OutboxRelay relay = context.getBean(OutboxRelay.class);
                    assertThat(relay.options().relayId()).isEqualTo("configured-relay");
                    assertThat(relay.options().leaseDuration()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(relay.options().logRetention()).isNull();
                    assertThat(relay.tables()).isEqualTo(database.schema().tables());
                    assertThat(context.getBean(OutboxRelayLifecycle.class).isRunning())
                            .isTrue();
                    OutboxConsumer audit = consumer(relay, "audit");
                    assertThat(audit.batchSize()).isEqualTo(7);
                    assertThat(audit.partitions()).isEqualTo(1);
                    assertThat(consumer(relay, "split").partitions()).isEqualTo(4);
                    assertThat(audit.startFrom()).isEqualTo(StartPosition.BEGINNING);
                    assertThat(audit.failurePolicy()).isEqualTo(FailurePolicy.PARK);
                    assertThat(audit.readsAhead()).isTrue();
                    assertThat(consumer(relay, "split").readsAhead()).isFalse();
                    assertThat(audit.retryPolicy().maxAttempts()).isEqualTo(3);
                    assertThat(audit.retryPolicy().initialBackoff()).isEqualTo(Duration.ofMillis(50));
                    assertThat(consumer(relay, "built-in-code").batchSize()).isEqualTo(3);
                    assertThat(context.getBean(OutboxDialect.class)).isInstanceOf(PostgresDialect.class);
                    assertThat(context.getBean(OutboxWriter.class).tables()).isEqualTo(relay.tables());
                    assertThat(context).hasSingleBean(SpringOutboxWriter.class);
                });
    }

    @Test
    void actuatorGetsTheHealthIndicatorTheEndpointAndTheMeters() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=outbox")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    OutboxRelay relay = context.getBean(OutboxRelay.class);
                    relay.wakeUp();
                    var health = context.getBean(OutboxHealthIndicator.class).health();
                    assertThat(health.getStatus()).as("%s", health).isEqualTo(Status.UP);
                    assertThat(health.getDetails()).containsKey("consumers");

                    Map<String, Object> report =
                            context.getBean(OutboxEndpoint.class).outbox();
                    assertThat(report).containsKeys("relayId", "head", "consumers");
                    assertThat(context.getBean(OutboxEndpoint.class).consumer("audit"))
                            .containsEntry("name", "audit");
                    assertThat(context.getBean(OutboxEndpoint.class).consumer("nobody"))
                            .isNull();

                    assertThat(context).hasSingleBean(OutboxMetrics.class);
                    assertThat(context.getBean(MeterRegistry.class)
                                    .find("outbox.sequencer.leader")
                                    .gauge())
                            .isNotNull();
                });
    }

    @Test
    void aBadValueFailsTheStartWithThePropertysName() {
        assertStartFails("outbox.relay.poll-floor", "outbox.relay.poll-floor=5s", "outbox.relay.poll-ceiling=1s");
        assertStartFails("outbox.relay.lease-duration", "outbox.relay.lease-duration=soon");
        assertStartFails("outbox.relay.sequencer-batch-size", "outbox.relay.sequencer-batch-size=0");
        assertStartFails("outbox.consumers.audit.batch-size", "outbox.consumers.audit.batch-size=0");
        assertStartFails("outbox.consumers.audit.retry.jitter", "outbox.consumers.audit.retry.jitter=2");
        assertStartFails("outbox.consumers.audit.failure-policy", "outbox.consumers.audit.failure-policy=ignore");
        assertStartFails("outbox.health.consumer-lag-warning", "outbox.health.consumer-lag-warning=0s");
        assertStartFails("outbox.writer.max-payload-size", "outbox.writer.max-payload-size=2GB");
        assertStartFails("outbox.consumers.nobody", "outbox.consumers.nobody.batch-size=5");
        assertStartFails("outbox.consumers.built-in-code", "outbox.consumers.built-in-code.batch-size=5");
    }

    @Test
    void aRelayOffStillAppendsAndOutboxOffConfiguresNothing() {
        runner.withPropertyValues("outbox.relay.enabled=false").run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(OutboxRelay.class);
            assertThat(context).hasSingleBean(SpringOutboxWriter.class).doesNotHaveBean(OutboxHealthIndicator.class);
        });
        runner.withPropertyValues("outbox.enabled=false").run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(OutboxWriter.class);
            assertThat(context).doesNotHaveBean(OutboxRelay.class);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class ReadsTheLogAtStartUp {
        /** A bean of the application that reads the outbox's tables when it is created. */
        @Bean
        @DependsOnDatabaseInitialization
        Long logEntriesAtStartUp(DataSource dataSource, OutboxTables tables) {
            return new JdbcTemplate(dataSource)
                    .queryForObject("select count(*) from " + tables.qualified(tables.logTable()), Long.class);
        }
    }

    @Test
    void theMigrationRunsBeforeTheBeansThatDependOnDatabaseInitialization() {
        try (AppSchema fresh = AppSchema.create(PostgresServers.locate(), "spring_init")) {
            new ApplicationContextRunner()
                    .withConfiguration(
                            AutoConfigurations.of(DataSourceAutoConfiguration.class, OutboxAutoConfiguration.class))
                    .withPropertyValues(fresh.dataSourceProperties().toArray(String[]::new))
                    .withPropertyValues("outbox.migrations.enabled=true")
                    .withUserConfiguration(ReadsTheLogAtStartUp.class)
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        assertThat(context.getBean("logEntriesAtStartUp")).isEqualTo(0L);
                    });
        }
    }

    @Test
    void theRelayNeverUsesATransactionAwareProxy() {
        DataSource raw = database.schema().dataSource();
        TransactionAwareDataSourceProxy proxy =
                new TransactionAwareDataSourceProxy(new TransactionAwareDataSourceProxy(raw));
        assertThat(OutboxAutoConfiguration.relayDataSource(proxy)).isSameAs(raw);
    }

    @Test
    void theConfigurationMetadataIsGenerated() throws IOException {
        try (InputStream metadata = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(metadata).isNotNull();
            String json = new String(metadata.readAllBytes(), StandardCharsets.UTF_8);
            for (String property : List.of(
                    "outbox.relay.poll-floor",
                    "outbox.consumers",
                    "outbox.writer.max-payload-size",
                    "outbox.migrations.enabled",
                    "outbox.health.consumer-lag-warning")) {
                assertThat(json).contains("\"" + property + "\"");
            }
        }
    }

    private void assertStartFails(String property, String... values) {
        runner.withPropertyValues(values).run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure()))
                    .as(String.join(", ", values))
                    .contains(property);
        });
    }

    /** The messages of {@code failure} and its causes, where Spring names the property. */
    private static String messages(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            messages.append(cause.getMessage()).append('\n');
            if (cause instanceof org.springframework.validation.BindException bind) {
                bind.getFieldErrors()
                        .forEach(error -> messages.append(error.getField()).append('\n'));
            }
            if (cause
                    instanceof org.springframework.boot.context.properties.bind.validation.BindValidationException v) {
                v.getValidationErrors().forEach(error -> messages.append(error).append('\n'));
            }
        }
        return messages.toString();
    }

    private static OutboxConsumer consumer(OutboxRelay relay, String name) {
        return relay.consumers().stream()
                .filter(consumer -> consumer.name().equals(name))
                .findFirst()
                .orElseThrow();
    }
}
