package dev.outbox.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testsupport.docs.ReadmeSnippets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's Spring Boot section quotes the starter's tests as they are. */
class ReadmeSnippetsTest {

    @Test
    void shouldQuoteTheSpringBootTestAsItIsInTheTests() throws IOException {
        Map<String, String> snippets = ReadmeSnippets.in(Path.of("src/test/java"));
        String readme = Files.readString(Path.of("../README.md"));

        assertThat(snippets).containsKey("spring-test");
        snippets.forEach((name, code) -> assertThat(readme)
                .as("../README.md quotes snippet '%s' as it is in the tests", name)
                .contains(ReadmeSnippets.fenced(code)));
    }
}
