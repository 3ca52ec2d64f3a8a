package dev.outbox.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.jspecify.annotations.Nullable;

/**
 * A minimal streaming JSON writer, enough for the tool's {@code --json} output: objects, arrays,
 * strings, numbers, booleans and null, escaped per RFC 8259. Hand-written so that the runnable jar
 * carries no JSON library for a few lines of output. Instants are written as ISO-8601 strings,
 * durations as whole milliseconds. Not thread-safe.
 */
final class JsonWriter {

    private final StringBuilder out = new StringBuilder();
    /** Per open container: whether it has a member yet (so the next needs a comma). */
    private final Deque<boolean[]> open = new ArrayDeque<>();

    private boolean afterName;

    JsonWriter beginObject() {
        beforeValue();
        out.append('{');
        open.push(new boolean[] {false});
        return this;
    }

    JsonWriter endObject() {
        open.pop();
        out.append('}');
        return this;
    }

    JsonWriter beginArray() {
        beforeValue();
        out.append('[');
        open.push(new boolean[] {false});
        return this;
    }

    JsonWriter endArray() {
        open.pop();
        out.append(']');
        return this;
    }

    JsonWriter name(String name) {
        separate();
        string(name);
        out.append(':');
        afterName = true;
        return this;
    }

    JsonWriter value(@Nullable String value) {
        beforeValue();
        if (value == null) {
            out.append("null");
        } else {
            string(value);
        }
        return this;
    }

    JsonWriter value(long value) {
        beforeValue();
        out.append(value);
        return this;
    }

    JsonWriter value(@Nullable Long value) {
        beforeValue();
        out.append(value == null ? "null" : value.toString());
        return this;
    }

    JsonWriter value(boolean value) {
        beforeValue();
        out.append(value);
        return this;
    }

    JsonWriter value(@Nullable Instant value) {
        return value(value == null ? null : Times.format(value));
    }

    /** Whole milliseconds, or null. */
    JsonWriter millis(@Nullable Duration value) {
        return value(value == null ? null : value.toMillis());
    }

    JsonWriter field(String name, @Nullable String value) {
        return name(name).value(value);
    }

    JsonWriter field(String name, long value) {
        return name(name).value(value);
    }

    JsonWriter field(String name, @Nullable Long value) {
        return name(name).value(value);
    }

    JsonWriter field(String name, boolean value) {
        return name(name).value(value);
    }

    JsonWriter field(String name, @Nullable Instant value) {
        return name(name).value(value);
    }

    JsonWriter millisField(String name, @Nullable Duration value) {
        return name(name).millis(value);
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void beforeValue() {
        if (afterName) {
            afterName = false;
            return;
        }
        separate();
    }

    private void separate() {
        boolean[] container = open.peek();
        if (container != null) {
            if (container[0]) {
                out.append(',');
            }
            container[0] = true;
        }
    }

    private void string(String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    // Control characters must be escaped; U+2028/2029 too, for JavaScript readers.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
