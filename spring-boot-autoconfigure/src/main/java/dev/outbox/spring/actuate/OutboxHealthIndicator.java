package dev.outbox.spring.actuate;

import dev.outbox.OutboxRelay;
import dev.outbox.RelayHealth;
import java.util.Objects;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * The relay's {@link OutboxRelay#health(RelayHealth.Thresholds) health}: DOWN when it is not running,
 * cannot read the database or has stalled sequencing; a blocked, waiting or lagging consumer is a
 * warning in the details, not DOWN (restarting the instance would not cure it). Wire it to
 * readiness, not to liveness: a database outage makes every instance DOWN.
 */
public final class OutboxHealthIndicator extends AbstractHealthIndicator {

    private final OutboxRelay relay;
    private final RelayHealth.Thresholds thresholds;

    public OutboxHealthIndicator(OutboxRelay relay, RelayHealth.Thresholds thresholds) {
        super("outbox health check failed");
        this.relay = Objects.requireNonNull(relay, "relay");
        this.thresholds = Objects.requireNonNull(thresholds, "thresholds");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        RelayHealth health = relay.health(thresholds);
        (health.isUp() ? builder.up() : builder.down()).withDetails(health.details());
        if (!health.reasons().isEmpty()) {
            builder.withDetail("reasons", health.reasons());
        }
        if (!health.warnings().isEmpty()) {
            builder.withDetail("warnings", health.warnings());
        }
    }
}
