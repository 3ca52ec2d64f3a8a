package dev.outbox.testsupport.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The code a README quotes, marked in the sources between {@code // [readme:NAME]} and {@code //
 * [readme:end]}: the tests that keep each quote equal to the code (which compiles and runs) read
 * the snippets here, dedented as the README shows them.
 */
public final class ReadmeSnippets {

    private static final Pattern SNIPPET = marked("//");
    private static final Pattern PROPERTIES_SNIPPET = marked("#");

    private ReadmeSnippets() {}

    /** Every snippet in the {@code .java} files below {@code sources}, by name, in file order. */
    public static Map<String, String> in(Path sources) throws IOException {
        return in(sources, ".java", SNIPPET);
    }

    /**
     * Every snippet in the {@code .properties} files below {@code resources}, marked between {@code
     * # [readme:NAME]} and {@code # [readme:end]}, by name.
     */
    public static Map<String, String> inProperties(Path resources) throws IOException {
        return in(resources, ".properties", PROPERTIES_SNIPPET);
    }

    /** {@code properties} as a README quotes them: a fenced properties block. */
    public static String fencedProperties(String properties) {
        return "```properties\n" + properties + "```\n";
    }

    private static Pattern marked(String comment) {
        return Pattern.compile(
                "(?m)^[ \\t]*" + comment + " \\[readme:([a-z-]+)\\][^\\n]*\\n(.*?)^[ \\t]*" + comment
                        + " \\[readme:end\\]",
                Pattern.DOTALL);
    }

    private static Map<String, String> in(Path sources, String suffix, Pattern snippet) throws IOException {
        Map<String, String> snippets = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        }
        for (Path file : files) {
            Matcher matcher = snippet.matcher(Files.readString(file));
            while (matcher.find()) {
                snippets.put(matcher.group(1), dedent(matcher.group(2)));
            }
        }
        return snippets;
    }

    /** {@code code} as a README quotes it: a fenced Java block. */
    public static String fenced(String code) {
        return "```java\n" + code + "```\n";
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
