package dev.outbox.testkit.conformance;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The fixtures {@link OutboxFixture#namedBy(Class)} created: one instance per fixture class. */
final class FixtureInstances {

    private static final Map<Class<? extends OutboxFixture>, OutboxFixture> CREATED = new ConcurrentHashMap<>();

    private FixtureInstances() {}

    static OutboxFixture namedBy(Class<?> type) {
        for (Class<?> named = type; named != null; named = named.getEnclosingClass()) {
            ConformanceFixture fixture = named.getAnnotation(ConformanceFixture.class);
            if (fixture != null) {
                return CREATED.computeIfAbsent(fixture.value(), FixtureInstances::create);
            }
        }
        throw new IllegalStateException(type.getName() + " names no fixture: annotate it, or the class it is"
                + " nested in, with @ConformanceFixture(YourFixture.class), or override fixture()");
    }

    private static OutboxFixture create(Class<? extends OutboxFixture> type) {
        try {
            return type.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "cannot create the fixture " + type.getName() + ": it needs a public no-argument constructor", e);
        }
    }
}
