package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The hand-written headers JSON against Jackson, on generated input: escapes, control characters,
 * surrogate pairs and lone surrogates, nested values, random whitespace, and malformed text made
 * by mutating valid text. Jackson is the oracle, in strict mode (its defaults, trailing tokens
 * refused). Seeded: a failure names the seed and the input.
 */
class HeadersJsonPropertyTest {

    private static final ObjectMapper JACKSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int CASES = 20_000;
    private static final Pattern NON_ASCII_HEX_ESCAPE =
            Pattern.compile("(?<!\\\\)(\\\\\\\\)*\\\\u.{0,3}[^\\x00-\\x7F]");
    private static final long SEED = 20261201L;

    @Test
    void shouldRoundTripAnyHeadersAndWriteJsonThatJacksonReadsTheSame() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < CASES; i++) {
            Map<String, String> headers = new LinkedHashMap<>();
            for (int n = random.nextInt(5) + 1; n > 0; n--) {
                headers.put(randomString(random), randomString(random));
            }
            String json = HeadersJson.write(headers);

            assertThat(HeadersJson.read(json))
                    .as("seed %d case %d: %s", SEED, i, json)
                    .isEqualTo(headers);
            assertThat(expected(json)).as("Jackson reading %s", json).isEqualTo(headers);
        }
    }

    @Test
    void shouldReadAnyJsonObjectAsJacksonReadsIt() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        for (int i = 0; i < CASES; i++) {
            String json = spaced(JACKSON.writeValueAsString(randomObject(random, 0)), random);

            assertSame(HeadersJson.read(json), expected(json), SEED + 1, i, json);
        }
    }

    @Test
    void shouldKeepMalformedTextRawAndNeverReadAWrongMap() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 2);
        int malformed = 0;
        for (int i = 0; i < CASES; i++) {
            String json = mutate(JACKSON.writeValueAsString(randomObject(random, 0)), random);
            if (json.isBlank()) {
                continue; // no headers at all
            }
            Map<String, String> expected = expected(json);
            if (expected == null) {
                malformed++;
                expected = Map.of(HeadersJson.RAW, json);
            }
            assertSame(HeadersJson.read(json), expected, SEED + 2, i, json);
        }
        assertThat(malformed).as("malformed inputs tried").isGreaterThan(CASES / 4);
    }

    @Test
    void shouldKeepNestingDeeperThanJacksonReadsRawWithoutOverflowingTheStack() throws Exception {
        String deep = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        String shallow = "{\"a\":" + "[".repeat(900) + "]".repeat(900) + "}";

        assertThat(HeadersJson.read(deep)).isEqualTo(Map.of(HeadersJson.RAW, deep));
        assertThat(HeadersJson.read(shallow)).isEqualTo(expected(shallow));
    }

    /** Compares, with the texts in ASCII in the message (the inputs are full of odd characters). */
    private static void assertSame(
            Map<String, String> ours, @Nullable Map<String, String> expected, long seed, int i, String json)
            throws Exception {
        if (!ours.equals(expected)) {
            throw new AssertionError("seed " + seed + " case " + i + ": " + ascii(json) + "\n  read:     " + ascii(ours)
                    + "\n  expected: " + ascii(expected));
        }
    }

    private static String ascii(@Nullable Object value) throws Exception {
        return new ObjectMapper().enable(JsonGenerator.Feature.ESCAPE_NON_ASCII).writeValueAsString(value);
    }

    /** What the text means as headers, by Jackson; {@code null} when it is not a JSON object. */
    private static @Nullable Map<String, String> expected(String json) throws Exception {
        if (NON_ASCII_HEX_ESCAPE.matcher(json).find()) {
            // Jackson 2.21 takes a non-ASCII character in a \\u escape as the hex digit of its low
            // seven bits ('\\u000' followed by U+DB41 reads as '\\u000A'); JSON has no such digit.
            return null;
        }
        JsonNode tree;
        try {
            tree = JACKSON.readTree(json);
        } catch (Exception malformed) {
            return null;
        }
        if (!(tree instanceof ObjectNode object)) {
            return null;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            headers.put(
                    field.getKey(),
                    field.getValue().isTextual() ? field.getValue().textValue() : null);
        }
        // A non-string value is read as its own text: compare what that text means, not its spelling.
        Map<String, String> ours = HeadersJson.read(json);
        for (Map.Entry<String, String> header : headers.entrySet()) {
            if (header.getValue() == null && ours.containsKey(header.getKey())) {
                JsonNode value = object.get(header.getKey());
                JsonNode reread = JACKSON.readTree(ours.get(header.getKey()));
                header.setValue(reread.equals(value) ? ours.get(header.getKey()) : "<differs from " + value + ">");
            }
        }
        return headers;
    }

    private static String randomString(SplittableRandom random) {
        StringBuilder s = new StringBuilder();
        for (int n = random.nextInt(12); n > 0; n--) {
            switch (random.nextInt(10)) {
                case 0 -> s.append("\"\\/".charAt(random.nextInt(3)));
                case 1 -> s.append((char) random.nextInt(0x20)); // control characters
                case 2 -> s.appendCodePoint(0x10000 + random.nextInt(0x10FFFF - 0x10000)); // surrogate pair
                case 3 -> s.append((char) (0xD800 + random.nextInt(0x800))); // a lone surrogate
                case 4 -> s.append((char) (0x80 + random.nextInt(0xD800 - 0x80)));
                default -> s.append((char) (0x20 + random.nextInt(0x5F)));
            }
        }
        return s.toString();
    }

    /** A string JSON can carry: Jackson would write a lone surrogate as invalid UTF-16 text. */
    private static String validString(SplittableRandom random) {
        String s = randomString(random);
        StringBuilder valid = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                valid.append(c).append(s.charAt(++i));
            } else if (!Character.isSurrogate(c)) {
                valid.append(c);
            }
        }
        return valid.toString();
    }

    private static ObjectNode randomObject(SplittableRandom random, int depth) {
        ObjectNode object = NODES.objectNode();
        for (int n = random.nextInt(depth == 0 ? 5 : 3) + (depth == 0 ? 1 : 0); n > 0; n--) {
            object.set(validString(random), randomValue(random, depth + 1));
        }
        return object;
    }

    private static JsonNode randomValue(SplittableRandom random, int depth) {
        int kind = random.nextInt(depth > 3 ? 6 : 8);
        return switch (kind) {
            case 0, 1, 2 -> NODES.textNode(validString(random));
            case 3 -> NODES.numberNode(random.nextLong(-1_000_000, 1_000_000));
            case 4 -> NODES.numberNode(random.nextDouble() * 1e6 - 5e5);
            case 5 -> random.nextBoolean() ? NODES.booleanNode(random.nextBoolean()) : NODES.nullNode();
            case 6 -> randomObject(random, depth);
            default -> {
                ArrayNode array = NODES.arrayNode();
                for (int n = random.nextInt(4); n > 0; n--) {
                    array.add(randomValue(random, depth + 1));
                }
                yield array;
            }
        };
    }

    /** The same JSON with JSON's whitespace between some of its tokens. */
    private static String spaced(String json, SplittableRandom random) {
        StringBuilder spaced = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            spaced.append(c);
            if (inString) {
                if (c == '\\') {
                    spaced.append(json.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if ((c == ',' || c == ':' || c == '{' || c == '[') && random.nextInt(3) == 0) {
                spaced.append(" \t\n\r".charAt(random.nextInt(4)));
            }
        }
        return spaced.toString();
    }

    /** Valid text with one to three random edits: a character inserted, deleted or replaced, or a cut. */
    private static String mutate(String json, SplittableRandom random) {
        StringBuilder text = new StringBuilder(json);
        String alphabet = "{}[]:,\"\\ 0123456789.-+eEtrufalsn\u0001\t\u00a0x'/";
        for (int n = random.nextInt(3) + 1; n > 0 && text.length() > 0; n--) {
            int at = random.nextInt(text.length());
            switch (random.nextInt(4)) {
                case 0 -> text.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                case 1 -> text.deleteCharAt(at);
                case 2 -> text.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                default -> text.setLength(at);
            }
        }
        return text.toString();
    }
}
