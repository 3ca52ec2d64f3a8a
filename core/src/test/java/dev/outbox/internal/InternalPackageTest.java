package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine stays closed: nothing in {@code dev.outbox.internal} is public but the two engines the
 * API classes hold (see the README's design notes). A new public type here fails this test instead
 * of becoming something users can reach.
 */
class InternalPackageTest {

    private static final Set<Class<?>> ALLOWED = Set.of(RelayEngine.class, WriterEngine.class);

    @Test
    void shouldExposeNothingButTheTwoEngines() throws Exception {
        List<String> exposed = new ArrayList<>();
        for (Class<?> type : classesOfThisPackage()) {
            if (isReachable(type) && !ALLOWED.contains(type)) {
                exposed.add(type.getName());
            }
        }
        assertThat(exposed).as("public types in dev.outbox.internal").isEmpty();
        assertThat(ALLOWED).allSatisfy(type -> assertThat(isReachable(type)).isTrue());
    }

    /** Public, and so are all the classes it is nested in. */
    private static boolean isReachable(Class<?> type) {
        for (Class<?> t = type; t != null; t = t.getEnclosingClass()) {
            if (!Modifier.isPublic(t.getModifiers())) {
                return false;
            }
        }
        return !type.isAnonymousClass() && !type.isLocalClass();
    }

    private static List<Class<?>> classesOfThisPackage()
            throws IOException, URISyntaxException, ClassNotFoundException {
        Path directory = Path.of(
                        RelayEngine.class.getResource("RelayEngine.class").toURI())
                .getParent();
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".class") && !name.equals("package-info.class")) {
                    classes.add(Class.forName(
                            InternalPackageTest.class.getPackageName() + "." + name.substring(0, name.length() - 6)));
                }
            }
        }
        assertThat(classes).hasSizeGreaterThan(20);
        return classes;
    }
}
