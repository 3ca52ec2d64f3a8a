package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README quotes the code between {@code // [readme:NAME]} and {@code // [readme:end]} in the
 * sources; this keeps the quotes equal to the code, which compiles and runs.
 */
class ReadmeSnippetsTest {

    private static final Pattern SNIPPET = Pattern.compile(
            "(?m)^[ \\t]*// \\[readme:([a-z-]+)\\][^\\n]*\\n(.*?)^[ \\t]*// \\[readme:end\\]", Pattern.DOTALL);

    @Test
    void shouldQuoteEveryMarkedSnippetAsItIsInTheCode() throws IOException {
        Map<String, String> snippets = snippets(Path.of("src/main/java"));
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
                .contains("```java\n" + code + "```\n"));
    }

    @Test
    void shouldQuoteTheThreeUserStepsInTheProjectReadmeAsTheyAreInTheCode() throws IOException {
        Map<String, String> snippets = snippets(Path.of("src/main/java"));
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
                    .contains("```java\n" + snippets.get(name) + "```\n");
        }
    }

    @Test
    void shouldQuoteTheHistoryCheckExampleInTheTestkitReadmeAsItIsInTheTest() throws IOException {
        Map<String, String> snippets = snippets(Path.of("src/test/java"));
        String readme = Files.readString(Path.of("../testkit/README.md"));

        assertThat(snippets).containsKeys("history-consumer", "history-transaction", "history-fault", "history-check");
        snippets.forEach((name, code) -> assertThat(readme)
                .as("testkit/README.md quotes snippet '%s' as it is in the test", name)
                .contains("```java\n" + code + "```\n"));
    }

    static Map<String, String> snippets(Path sources) throws IOException {
        Map<String, String> snippets = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        for (Path file : files) {
            Matcher matcher = SNIPPET.matcher(Files.readString(file));
            while (matcher.find()) {
                snippets.put(matcher.group(1), dedent(matcher.group(2)));
            }
        }
        return snippets;
    }

    private static String dedent(String code) {
        int indent = code.lines()
                .filter(line -> !line.isBlank())
                .mapToInt(line -> line.length() - line.stripLeading().length())
                .min()
                .orElse(0);
        StringBuilder out = new StringBuilder();
        code.lines()
                .forEach(line ->
                        out.append(line.isBlank() ? "" : line.substring(indent)).append('\n'));
        return out.toString();
    }
}
