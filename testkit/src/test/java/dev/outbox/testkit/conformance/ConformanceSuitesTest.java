package dev.outbox.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ConformanceSuitesTest {

    @Test
    void shouldListEveryAbstractConformanceClassOfThePackage() throws Exception {
        assertThat(new ArrayList<Class<?>>(ConformanceSuites.ALL))
                .containsExactlyInAnyOrderElementsOf(conformanceClasses());
    }

    @Test
    void shouldFindEverySuiteInConformanceSuite() {
        assertThatCode(() -> ConformanceSuites.assertAllRunIn(ConformanceSuite.class))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldNameTheSuitesAClassDoesNotRun() {
        assertThatThrownBy(() -> ConformanceSuites.assertAllRunIn(OnlyTheWriter.class))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("@Nested class Ordering extends OrderingConformanceTest {}")
                .hasMessageContaining("@Nested class Migration extends MigrationConformanceTest {}")
                .hasMessageNotContaining("class Writer ");
    }

    @Test
    void shouldNotCountANestedClassWithoutTheAnnotation() {
        assertThatThrownBy(() -> ConformanceSuites.assertAllRunIn(WriterNotNested.class))
                .hasMessageContaining("@Nested class Writer extends WriterConformanceTest {}");
    }

    /** The abstract subclasses of ConformanceTestBase in its package, from the compiled classes. */
    private static List<Class<?>> conformanceClasses() throws Exception {
        Path directory = Path.of(ConformanceTestBase.class
                        .getResource(ConformanceTestBase.class.getSimpleName() + ".class")
                        .toURI())
                .getParent();
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (!name.endsWith(".class") || name.contains("$")) {
                    continue;
                }
                Class<?> type = Class.forName(
                        ConformanceTestBase.class.getPackageName() + "." + name.substring(0, name.length() - 6));
                if (type != ConformanceTestBase.class
                        && ConformanceTestBase.class.isAssignableFrom(type)
                        && Modifier.isAbstract(type.getModifiers())) {
                    classes.add(type);
                }
            }
        }
        return classes;
    }

    static class OnlyTheWriter {
        @Nested
        class Writer extends WriterConformanceTest {}
    }

    static class WriterNotNested {
        class Writer extends WriterConformanceTest {}
    }
}
