package dev.outbox.kafka.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.jspecify.annotations.Nullable;

/**
 * One admin client for a publisher's sessions, created when first needed (a publisher whose sessions
 * never need one opens no connection for it) and closed with the publisher. Thread-safe.
 */
public final class SharedAdmin implements AutoCloseable {

    private final Supplier<Admin> factory;
    private @Nullable Admin admin;
    private boolean closed;

    public SharedAdmin(Supplier<Admin> factory) {
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    public synchronized Admin get() {
        if (closed) {
            throw new IllegalStateException("the KafkaPublisher was closed; close it after the relays that use it");
        }
        if (admin == null) {
            admin = factory.get();
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
    }
}
