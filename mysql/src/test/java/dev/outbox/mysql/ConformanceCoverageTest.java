package dev.outbox.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testkit.conformance.ConformanceTestBase;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every abstract conformance class of the testkit runs here, on MariaDB and on MySQL: a class added
 * to the suite without a subclass in this module fails this test instead of going unrun.
 */
class ConformanceCoverageTest {

    @Test
    void shouldRunEveryConformanceClassOnMariaDbAndOnMySql() throws Exception {
        List<String> missing = new ArrayList<>();
        List<Class<?>> suite = conformanceClasses();
        for (Class<?> conformance : suite) {
            String stem = conformance.getSimpleName().replace("ConformanceTest", "");
            for (String subclass : List.of("MariaDb" + stem + "Test", "MySql" + stem + "Test")) {
                try {
                    Class<?> test = Class.forName(getClass().getPackageName() + "." + subclass);
                    if (!conformance.isAssignableFrom(test)) {
                        missing.add(subclass + " does not extend " + conformance.getSimpleName());
                    }
                } catch (ClassNotFoundException e) {
                    missing.add(subclass + " (for " + conformance.getSimpleName() + ")");
                }
            }
        }
        assertThat(suite).isNotEmpty();
        assertThat(missing)
                .as("conformance classes without a subclass in outbox-mysql")
                .isEmpty();
    }

    /** The abstract subclasses of ConformanceTestBase in its package, from the testkit jar or directory. */
    private static List<Class<?>> conformanceClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        String packageName = ConformanceTestBase.class.getPackageName();
        URL base = ConformanceTestBase.class.getResource(ConformanceTestBase.class.getSimpleName() + ".class");
        List<Class<?>> classes = new ArrayList<>();
        if (base == null) {
            return classes;
        }
        FileSystem jar = null;
        try {
            Path directory;
            if (base.getProtocol().equals("jar")) {
                jar = FileSystems.newFileSystem(base.toURI(), Map.of());
                directory = jar.getPath(packageName.replace('.', '/'));
            } else {
                directory = Path.of(base.toURI()).getParent();
            }
            try (Stream<Path> files = Files.list(directory)) {
                for (Path file : files.toList()) {
                    String name = file.getFileName().toString();
                    if (!name.endsWith(".class") || name.contains("$")) {
                        continue;
                    }
                    Class<?> type = Class.forName(packageName + "." + name.substring(0, name.length() - 6));
                    if (type != ConformanceTestBase.class
                            && ConformanceTestBase.class.isAssignableFrom(type)
                            && Modifier.isAbstract(type.getModifiers())) {
                        classes.add(type);
                    }
                }
            }
        } finally {
            if (jar != null) {
                jar.close();
            }
        }
        return classes;
    }
}
