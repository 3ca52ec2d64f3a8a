package dev.outbox.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testsupport.docs.ReadmeSnippets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The module's README quotes the code between {@code // [readme:NAME]} and {@code // [readme:end]}
 * in the tests; this keeps the quotes equal to the code, which compiles and runs on both databases.
 */
class ReadmeSnippetsTest {

    @Test
    void theReadmeQuotesEveryMarkedSnippetAsItIsInTheCode() throws IOException {
        Map<String, String> snippets = ReadmeSnippets.in(Path.of("src/test/java"));
        String readme = Files.readString(Path.of("README.md"));

        assertThat(snippets).containsOnlyKeys("writer", "consumers", "business");
        snippets.forEach((name, code) -> assertThat(readme)
                .as("README.md quotes snippet '%s' as it is in the code", name)
                .contains(ReadmeSnippets.fenced(code)));
    }
}
