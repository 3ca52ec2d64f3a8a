package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, {@value #FIRST_COMMAND}, runs the example's main class without
 * arguments in Maven's JVM: the embedded PostgreSQL, no server. This runs that main class without
 * arguments, in a JVM of its own with this module's class path, and expects it to print {@code
 * consistent} and exit 0; and it checks that the README and the {@code run-example} profile still
 * mean that.
 */
class EmbeddedExampleTest {

    static final String FIRST_COMMAND = "mvn -q -pl examples -am package -Dmaven.test.skip=true -Prun-example";

    private static final Pattern SHELL_BLOCK = Pattern.compile("(?s)```shell\\n(.*?)\\n```");

    @Test
    void shouldBeTheFirstCommandOfBothReadmes() throws IOException {
        for (Path readme : List.of(Path.of("README.md"), Path.of("../README.md"))) {
            Matcher first = SHELL_BLOCK.matcher(Files.readString(readme));
            assertThat(first.find()).as("a shell block in %s", readme).isTrue();
            assertThat(first.group(1)
                            .lines()
                            .filter(line -> !line.startsWith("#"))
                            .findFirst())
                    .as(readme.toString())
                    .contains(FIRST_COMMAND);
        }
    }

    @Test
    void shouldRunTheMainClassWithoutArgumentsInTheRunExampleProfile() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        assertThat(pom).contains("<example.mainClass>" + CourseEnrollmentApp.class.getName() + "</example.mainClass>");
        String profile = pom.substring(pom.indexOf("<id>run-example</id>"));
        profile = profile.substring(0, profile.indexOf("</profile>"));
        assertThat(profile).contains("<goal>java</goal>").doesNotContain("<arguments>", "commandlineArgs");
    }

    @Test
    void shouldPrintConsistentOnTheEmbeddedPostgres() throws Exception {
        Path output = Files.createTempFile("embedded-example", ".log");
        try {
            ProcessBuilder command = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            CourseEnrollmentApp.class.getName())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            command.environment().remove(Settings.PASSWORD_VARIABLE);
            Process example = command.start();
            boolean exited = example.waitFor(15, TimeUnit.MINUTES);
            if (!exited) {
                example.destroyForcibly();
            }
            String printed = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(exited)
                    .as("the example ended within 15 minutes; it printed:%n%s", printed)
                    .isTrue();
            assertThat(example.exitValue())
                    .as("exit status; it printed:%n%s", printed)
                    .isZero();
            assertThat(printed).containsPattern("(?m) CourseEnrollmentApp +consistent: ");
            // the relay's health and meters, printed before the check: every event counted by both
            assertThat(printed).containsPattern("(?m) CourseEnrollmentApp +health: UP$");
            assertThat(printed)
                    .containsPattern("(?m) outbox\\.consumer\\.delivered\\{enrollment-counts,0} count=[1-9]")
                    .containsPattern("(?m) outbox\\.consumer\\.lag\\.events\\{search-index,0} value=0$")
                    .containsPattern("(?m) outbox\\.sequencer\\.events count=[1-9]");
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
