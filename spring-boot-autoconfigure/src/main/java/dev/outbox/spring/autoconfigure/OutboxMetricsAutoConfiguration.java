package dev.outbox.spring.autoconfigure;

import dev.outbox.OutboxRelay;
import dev.outbox.micrometer.OutboxMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/** With outbox-micrometer and a {@link MeterRegistry}: the relay's meters ({@code outbox.*}). */
@AutoConfiguration(
        after = OutboxAutoConfiguration.class,
        afterName = {
            "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"
        })
@ConditionalOnClass({OutboxMetrics.class, MeterRegistry.class})
@ConditionalOnBean({OutboxRelay.class, MeterRegistry.class})
@ConditionalOnProperty(prefix = "outbox.metrics", name = "enabled", matchIfMissing = true)
public class OutboxMetricsAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    OutboxMetrics outboxMetrics(OutboxRelay relay, MeterRegistry registry, OutboxProperties properties) {
        OutboxMetrics.Builder metrics = OutboxMetrics.builder(relay, registry);
        Duration interval = properties.getMetrics().getSamplingInterval();
        if (interval != null) {
            metrics.samplingInterval(interval);
        }
        return metrics.bind();
    }
}
