package dev.outbox.micrometer;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The meters one binding registered, so that closing it removes exactly those. Registration and
 * removal share one lock with a closed flag: a listener callback or a sample that races with {@link
 * #removeAll()} registers nothing after it, so no meter of a closed binding stays behind.
 * Thread-safe.
 */
final class BoundMeters {

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private boolean closed;

    BoundMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    MeterRegistry registry() {
        return registry;
    }

    /** Registers a meter with {@code registration}; {@code null} once the binding is closed. */
    synchronized <M extends Meter> @Nullable M add(Function<? super MeterRegistry, ? extends M> registration) {
        if (closed) {
            return null;
        }
        M meter = registration.apply(registry);
        meters.add(meter);
        return meter;
    }

    /** Removes {@code meter} from the registry (a consumer's row was deleted). */
    synchronized void remove(Meter meter) {
        if (meters.remove(meter)) {
            registry.remove(meter);
        }
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Removes every meter of the binding, and registers none from now on. */
    synchronized void removeAll() {
        closed = true;
        for (Meter meter : meters) {
            registry.remove(meter);
        }
        meters.clear();
    }
}
