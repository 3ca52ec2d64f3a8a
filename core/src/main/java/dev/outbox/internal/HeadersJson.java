package dev.outbox.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Headers are stored as a flat JSON object of strings. Hand-written so that the core needs no JSON
 * library; reading is lenient because other clients may insert any JSON object with plain SQL.
 */
final class HeadersJson {

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

    /**
     * Parses a JSON object. String values are unescaped; any other value (number, nested object) is
     * kept as its JSON text. Text that is not a JSON object gives one header {@code "_raw"}.
     */
    static Map<String, String> read(@Nullable String json) {
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        try {
            return new Parser(json).object();
        } catch (RuntimeException notAnObject) {
            return Map.of("_raw", json);
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
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }

    private static final class Parser {
        private final String text;
        private int at;

        Parser(String text) {
            this.text = text;
        }

        Map<String, String> object() {
            Map<String, String> result = new LinkedHashMap<>();
            expect('{');
            skipSpace();
            if (peek() == '}') {
                at++;
                return end(result);
            }
            while (true) {
                skipSpace();
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                result.put(key, peek() == '"' ? string() : rawValue());
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else {
                    expect('}');
                    return end(result);
                }
            }
        }

        private Map<String, String> end(Map<String, String> result) {
            skipSpace();
            if (at != text.length()) {
                throw new IllegalArgumentException("trailing text");
            }
            return Collections.unmodifiableMap(result);
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char escaped = text.charAt(at++);
                switch (escaped) {
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(escaped);
                }
            }
        }

        /** A number, literal, array or object, returned as its text. */
        private String rawValue() {
            int start = at;
            int depth = 0;
            boolean inString = false;
            for (; at < text.length(); at++) {
                char c = text.charAt(at);
                if (inString) {
                    if (c == '\\') {
                        at++;
                    } else if (c == '"') {
                        inString = false;
                    }
                } else if (c == '"') {
                    inString = true;
                } else if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || c == ']') {
                    if (depth == 0) {
                        break;
                    }
                    depth--;
                } else if (c == ',' && depth == 0) {
                    break;
                }
            }
            return text.substring(start, at).trim();
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private char peek() {
            return text.charAt(at);
        }

        private void expect(char c) {
            if (text.charAt(at++) != c) {
                throw new IllegalArgumentException("expected " + c);
            }
        }
    }
}
