package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testsupport.docs.ReadmeSnippets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README quotes the code between {@code // [readme:NAME]} and {@code // [readme:end]} in the
 * sources; this keeps the quotes equal to the code, which compiles and runs.
 */
class ReadmeSnippetsTest {

    @Test
    void shouldQuoteEveryMarkedSnippetAsItIsInTheCode() throws IOException {
        Map<String, String> snippets = ReadmeSnippets.in(Path.of("src/main/java"));
        String readme = Files.readString(Path.of("README.md"));

        assertThat(snippets)
                .containsKeys(
                        "migrate",
                        "setup",
                        "writer",
                        "consumers",
                        "counts-handler",
                        "search-handler",
                        "kafka-publisher",
                        "kafka-consumer",
                        "metrics",
                        "spring-service",
                        "spring-handlers");
        snippets.forEach((name, code) -> assertThat(readme)
                .as("README.md quotes snippet '%s' as it is in the code", name)
                .contains(ReadmeSnippets.fenced(code)));
    }

    @Test
    void shouldQuoteTheThreeUserStepsInTheProjectReadmeAsTheyAreInTheCode() throws IOException {
        Map<String, String> snippets = ReadmeSnippets.in(Path.of("src/main/java"));
        String readme = Files.readString(Path.of("../README.md"));

        for (String name : List.of(
                "migrate",
                "setup",
                "writer",
                "consumers",
                "counts-handler",
                "kafka-publisher",
                "kafka-consumer",
                "metrics",
                "spring-service",
                "spring-handlers")) {
            assertThat(readme)
                    .as("../README.md quotes snippet '%s' as it is in the code", name)
                    .contains(ReadmeSnippets.fenced(snippets.get(name)));
        }
    }

    @Test
    void shouldQuoteTheSpringBootPropertiesInBothReadmesAsTheAppHasThem() throws IOException {
        String properties =
                ReadmeSnippets.inProperties(Path.of("src/main/resources")).get("spring-properties");

        assertThat(properties).isNotNull();
        for (String readme : List.of("README.md", "../README.md")) {
            assertThat(Files.readString(Path.of(readme)))
                    .as("%s quotes the Spring Boot edition's properties as they are", readme)
                    .contains(ReadmeSnippets.fencedProperties(properties));
        }
    }

    @Test
    void shouldQuoteTheHistoryCheckExampleInTheTestkitReadmeAsItIsInTheTest() throws IOException {
        Map<String, String> snippets = ReadmeSnippets.in(Path.of("src/test/java"));
        String readme = Files.readString(Path.of("../testkit/README.md"));

        assertThat(snippets)
                .containsKeys("history-consumer", "history-transaction", "history-fault", "history-check", "extension");
        snippets.forEach((name, code) -> assertThat(readme)
                .as("testkit/README.md quotes snippet '%s' as it is in the test", name)
                .contains(ReadmeSnippets.fenced(code)));
    }
}
