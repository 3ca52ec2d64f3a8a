package dev.outbox.testkit.conformance;

import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;

/**
 * The list of every conformance suite, and the check that a test class runs them all: a concrete
 * {@code @Nested} subclass of each, declared in the class or inherited (as {@link ConformanceSuite}
 * declares them).
 */
public final class ConformanceSuites {

    /** The suites, each an abstract subclass of {@link ConformanceTestBase}. */
    public static final List<Class<? extends ConformanceTestBase>> ALL = List.of(
            WriterConformanceTest.class,
            OrderingConformanceTest.class,
            ConcurrencyConformanceTest.class,
            WakeUpConformanceTest.class,
            RestartConformanceTest.class,
            ScaleOutConformanceTest.class,
            ResilienceConformanceTest.class,
            ServerRestartConformanceTest.class,
            RetentionConformanceTest.class,
            FailurePolicyConformanceTest.class,
            HandlerFailureConformanceTest.class,
            PartitionConformanceTest.class,
            SessionConformanceTest.class,
            ReadAheadConformanceTest.class,
            ObservabilityConformanceTest.class,
            ExtensionConformanceTest.class,
            MigrationConformanceTest.class);

    private ConformanceSuites() {}

    /**
     * Fails unless {@code wiring} declares or inherits, for every suite of {@link #ALL}, a concrete
     * {@code @Nested} class that extends it.
     */
    public static void assertAllRunIn(Class<?> wiring) {
        List<Class<?>> nested = new ArrayList<>();
        for (Class<?> type = wiring; type != null; type = type.getSuperclass()) {
            for (Class<?> member : type.getDeclaredClasses()) {
                if (member.isAnnotationPresent(Nested.class)
                        && !Modifier.isStatic(member.getModifiers())
                        && !Modifier.isAbstract(member.getModifiers())) {
                    nested.add(member);
                }
            }
        }
        List<String> missing = new ArrayList<>();
        for (Class<? extends ConformanceTestBase> suite : ALL) {
            if (nested.stream().noneMatch(suite::isAssignableFrom)) {
                String stem = suite.getSimpleName().replace("ConformanceTest", "");
                missing.add("@Nested class " + stem + " extends " + suite.getSimpleName() + " {}");
            }
        }
        if (!missing.isEmpty()) {
            throw new AssertionError(wiring.getName() + " does not run every conformance suite; add (or extend"
                    + " ConformanceSuite, which has them all):\n  " + String.join("\n  ", missing));
        }
    }
}
