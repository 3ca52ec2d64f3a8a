package dev.outbox.spring;

import dev.outbox.OutboxRelay;
import java.util.Objects;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the application's relay with the application context and stops it before the context
 * closes its beans, the DataSource among them.
 *
 * <p>Its phase, {@value #PHASE}, is below the web server's, so the relay starts before the server
 * takes requests and stops after the server drained them (the last requests' events are still
 * sequenced and delivered). Stopping waits for the relay's in-flight batches up to its {@code
 * shutdown-timeout}: keep {@code spring.lifecycle.timeout-per-shutdown-phase} (30 s by default) at
 * least as long. A relay starts once: stopping and starting the context again is refused.
 */
public final class OutboxRelayLifecycle implements SmartLifecycle {

    /** Below Spring Boot's web server lifecycles ({@code Integer.MAX_VALUE - 1024} and lower by 1024). */
    public static final int PHASE = Integer.MAX_VALUE - 4096;

    private final OutboxRelay relay;
    private volatile boolean running;

    public OutboxRelayLifecycle(OutboxRelay relay) {
        this.relay = Objects.requireNonNull(relay, "relay");
    }

    @Override
    public void start() {
        relay.start();
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        relay.close();
    }

    @Override
    public void stop(Runnable callback) {
        running = false;
        // In a thread of its own, so that other lifecycles of this phase stop meanwhile.
        Thread stopping = new Thread(
                () -> {
                    try {
                        relay.close();
                    } finally {
                        callback.run();
                    }
                },
                "outbox-relay-stop-" + relay.options().relayId());
        stopping.setDaemon(true);
        stopping.start();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
