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
                        "metrics");
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
                "metrics")) {
            assertThat(readme)
                    .as("../README.md quotes snippet '%s' as it is in the code", name)
                    .contains(ReadmeSnippets.fenced(snippets.get(name)));
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
