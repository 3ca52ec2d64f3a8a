package dev.outbox.internal;

import dev.outbox.RelayListener;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RelayListener}s of one relay, told in the order they were added; what one throws is
 * logged (once per listener and kind of call, then at debug) and never reaches the relay's loop.
 * Thread-safe: listeners may come and go while the relay runs.
 */
final class RelayListeners implements RelayListener {

    private static final Logger LOG = LoggerFactory.getLogger(RelayListeners.class);

    private final List<RelayListener> listeners = new CopyOnWriteArrayList<>();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /** Adds {@code listener}; the returned handle removes it. */
    AutoCloseable add(RelayListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public void delivered(String consumer, int partition, int events, Duration took) {
        tell("delivered", listener -> listener.delivered(consumer, partition, events, took));
    }

    @Override
    public void failed(String consumer, int partition, Throwable cause, Reaction reaction) {
        tell("failed", listener -> listener.failed(consumer, partition, cause, reaction));
    }

    @Override
    public void sequenced(int events, Duration took) {
        tell("sequenced", listener -> listener.sequenced(events, took));
    }

    private void tell(String call, Consumer<RelayListener> telling) {
        if (listeners.isEmpty()) {
            return;
        }
        for (RelayListener listener : listeners) {
            try {
                telling.accept(listener);
            } catch (RuntimeException e) { // a listener's bug must not stop the relay's work
                if (warned.add(listener.getClass().getName() + "." + call)) {
                    LOG.warn("relay listener {} failed in {}(); ignored (later failures at debug)", listener, call, e);
                } else {
                    LOG.debug("relay listener {} failed in {}()", listener, call, e);
                }
            }
        }
    }
}
