package dev.outbox.spring.autoconfigure;

import dev.outbox.OutboxRelay;
import dev.outbox.spring.actuate.OutboxEndpoint;
import dev.outbox.spring.actuate.OutboxHealthIndicator;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * With Actuator: the health indicator {@code outbox} (in no health group by default; add it to
 * readiness with {@code management.endpoint.health.group.readiness.include=readinessState,outbox})
 * and the read-only endpoint {@code outbox} (exposed like any endpoint, with {@code
 * management.endpoints.web.exposure.include}).
 */
@AutoConfiguration(after = OutboxAutoConfiguration.class)
@ConditionalOnClass({HealthIndicator.class, OutboxRelay.class})
@ConditionalOnBean(OutboxRelay.class)
public class OutboxActuatorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "outboxHealthIndicator")
    @ConditionalOnEnabledHealthIndicator("outbox")
    OutboxHealthIndicator outboxHealthIndicator(OutboxRelay relay, OutboxProperties properties) {
        return new OutboxHealthIndicator(relay, properties.getHealth().toThresholds());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    OutboxEndpoint outboxEndpoint(OutboxRelay relay) {
        return new OutboxEndpoint(relay);
    }
}
