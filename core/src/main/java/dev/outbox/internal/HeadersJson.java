package dev.outbox.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Headers are stored as a flat JSON object of strings. Hand-written, so that the core needs no JSON
 * library (see the README's design notes); proven against Jackson on generated input by {@code
 * HeadersJsonPropertyTest}.
 *
 * <p>Writing escapes what JSON requires and lone surrogates, so every Java string round-trips.
 * Reading is strict JSON (RFC 8259), because other clients may insert any text with plain SQL: a
 * JSON object gives its string values unescaped and any other value (number, literal, array,
 * object) as its JSON text; anything else (malformed JSON, another type of value, nesting deeper
 * than {@value #MAX_DEPTH}) gives one header {@code "_raw"} with the text as it is, never a wrong map.
 */
final class HeadersJson {

    /** Deepest nesting read, as Jackson's default; deeper text is kept raw. */
    static final int MAX_DEPTH = 1000;

    /** The header that holds text which is not a JSON object. */
    static final String RAW = "_raw";

    private HeadersJson() {}

    /** The JSON text of {@code headers}, or {@code null} when there are none. */
    static @Nullable String write(Map<String, String> headers) {
        if (headers.isEmpty()) {
            return null;
        }
        StringBuilder json = new StringBuilder(32 * headers.size()).append('{');
        boolean first = true;
        for (Map.Entry<String, String> header : headers.entrySet()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            writeString(json, header.getKey());
            json.append(':');
            writeString(json, header.getValue());
        }
        return json.append('}').toString();
    }

    /** Parses a JSON object; see the class comment for what other text gives. */
    static Map<String, String> read(@Nullable String json) {
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        try {
            return new Parser(json).document();
        } catch (Malformed | IndexOutOfBoundsException | NumberFormatException notAnObject) {
            return Map.of(RAW, json);
        }
    }

    private static void writeString(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    boolean pair = Character.isHighSurrogate(c)
                            && i + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(i + 1));
                    if (pair) {
                        json.append(c).append(value.charAt(++i));
                    } else if (c < 0x20 || Character.isSurrogate(c)) {
                        // a lone surrogate has no UTF-8 form: escaped, it survives the database
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }

    /** The text is not a JSON object of the kind read here. */
    private static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** A strict JSON reader of one object whose values it keeps as strings. */
    private static final class Parser {
        private final String text;
        private int at;

        Parser(String text) {
            this.text = text;
        }

        Map<String, String> document() {
            skipSpace();
            Map<String, String> result = object();
            skipSpace();
            if (at != text.length()) {
                throw new Malformed("trailing text at " + at);
            }
            return result;
        }

        private Map<String, String> object() {
            Map<String, String> result = new LinkedHashMap<>();
            expect('{');
            skipSpace();
            if (peek() == '}') {
                at++;
                return Collections.unmodifiableMap(result);
            }
            while (true) {
                skipSpace();
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                if (peek() == '"') {
                    result.put(key, string());
                } else {
                    int start = at;
                    value(1);
                    result.put(key, text.substring(start, at));
                }
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else {
                    expect('}');
                    return Collections.unmodifiableMap(result);
                }
            }
        }

        /** Skips one value of any kind, checking it; {@code depth}: of the value's container. */
        private void value(int depth) {
            char c = peek();
            if (c == '"') {
                string();
            } else if (c == '{' || c == '[') {
                container(depth + 1);
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                number();
            } else if (!literal("true") && !literal("false") && !literal("null")) {
                throw new Malformed("unexpected " + c + " at " + at);
            }
        }

        private void container(int depth) {
            if (depth > MAX_DEPTH) {
                throw new Malformed("nested deeper than " + MAX_DEPTH);
            }
            char open = text.charAt(at++);
            char close = open == '{' ? '}' : ']';
            skipSpace();
            if (peek() == close) {
                at++;
                return;
            }
            while (true) {
                skipSpace();
                if (open == '{') {
                    string();
                    skipSpace();
                    expect(':');
                    skipSpace();
                }
                value(depth);
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else {
                    expect(close);
                    return;
                }
            }
        }

        /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
        private void number() {
            if (peek() == '-') {
                at++;
            }
            if (peek() == '0') {
                at++;
            } else {
                digits();
            }
            if (at < text.length() && text.charAt(at) == '.') {
                at++;
                digits();
            }
            if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
                at++;
                if (peek() == '+' || peek() == '-') {
                    at++;
                }
                digits();
            }
        }

        private void digits() {
            int start = at;
            while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
                at++;
            }
            if (at == start) {
                throw new Malformed("digit expected at " + at);
            }
        }

        private boolean literal(String word) {
            if (text.startsWith(word, at)) {
                at += word.length();
                return true;
            }
            return false;
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c < 0x20) {
                    throw new Malformed("control character in a string at " + (at - 1));
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char escaped = text.charAt(at++);
                switch (escaped) {
                    case '"', '\\', '/' -> out.append(escaped);
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) hex(text.substring(at, at + 4)));
                        at += 4;
                    }
                    default -> throw new Malformed("invalid escape \\" + escaped + " at " + (at - 2));
                }
            }
        }

        private static int hex(String digits) {
            int value = 0;
            for (int i = 0; i < 4; i++) {
                char c = digits.charAt(i);
                boolean hexDigit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                if (!hexDigit) {
                    throw new Malformed("invalid \\u escape " + digits);
                }
                value = value * 16 + Character.digit(c, 16);
            }
            return value;
        }

        /** JSON's whitespace only: space, tab, line feed, carriage return. */
        private void skipSpace() {
            while (at < text.length()) {
                char c = text.charAt(at);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                at++;
            }
        }

        private char peek() {
            return text.charAt(at);
        }

        private void expect(char c) {
            if (text.charAt(at++) != c) {
                throw new Malformed("expected " + c + " at " + (at - 1));
            }
        }
    }
}
