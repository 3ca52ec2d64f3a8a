package dev.outbox.examples;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the application tells its derived systems: a student enrolled in a course, or cancelled an
 * enrolment. The event carries the names the consumers need (a "fat" event), so a consumer never
 * queries the business tables: it can run elsewhere, later, or rebuild its system from the log.
 *
 * <p>The aggregate is the course: both operations lock the course's row, so the events of one course,
 * and therefore of one enrolment, reach the log in the order their transactions committed.
 *
 * @param type {@link #ENROLLED} or {@link #CANCELLED}
 */
public record EnrollmentEvent(String type, long studentId, String studentName, long courseId, String courseTitle) {

    static final String AGGREGATE_TYPE = "course";
    public static final String ENROLLED = "StudentEnrolled";
    public static final String CANCELLED = "EnrollmentCancelled";

    public EnrollmentEvent {
        if (!type.equals(ENROLLED) && !type.equals(CANCELLED)) {
            throw new IllegalArgumentException("unknown enrolment event type " + type);
        }
    }

    /** The key of the enrolment: one per (student, course) pair, as in the {@code enrollments} table. */
    String enrollmentKey() {
        return studentId + ":" + courseId;
    }

    boolean isEnrollment() {
        return type.equals(ENROLLED);
    }

    OutboxEvent toOutboxEvent() {
        return OutboxEvent.of(AGGREGATE_TYPE, Long.toString(courseId), type, toJson());
    }

    /** Reads the event back from a log entry. */
    static EnrollmentEvent from(OutboxRecord record) {
        return from(record.eventType(), record.payload());
    }

    /** Reads the event back from its type and its JSON payload ({@link #toJson}). */
    static EnrollmentEvent from(String type, String payload) {
        Map<String, String> json = parseFlatObject(payload);
        return new EnrollmentEvent(
                type,
                Long.parseLong(json.get("studentId")),
                json.get("studentName"),
                Long.parseLong(json.get("courseId")),
                json.get("courseTitle"));
    }

    // A JSON library would do; this payload is small and flat enough to write and read by hand.

    public String toJson() {
        return "{\"studentId\":" + studentId + ",\"studentName\":" + quote(studentName) + ",\"courseId\":" + courseId
                + ",\"courseTitle\":" + quote(courseTitle) + "}";
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** Reads {@code {"name": "string" or number, ...}}: no nesting, arrays, booleans or nulls. */
    private static Map<String, String> parseFlatObject(String json) {
        Map<String, String> fields = new LinkedHashMap<>();
        int[] at = {skipSpace(json, 0)};
        expect(json, at, '{');
        if (peek(json, at) == '}') {
            return fields;
        }
        do {
            String name = readString(json, at);
            expect(json, at, ':');
            String value = peek(json, at) == '"' ? readString(json, at) : readNumber(json, at);
            fields.put(name, value);
        } while (tryRead(json, at, ','));
        expect(json, at, '}');
        return fields;
    }

    private static String readString(String json, int[] at) {
        expect(json, at, '"');
        StringBuilder out = new StringBuilder();
        int i = at[0];
        while (json.charAt(i) != '"') {
            char c = json.charAt(i++);
            if (c == '\\') {
                char escaped = json.charAt(i++);
                switch (escaped) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(json.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> out.append(escaped); // " \ /
                }
            } else {
                out.append(c);
            }
        }
        at[0] = skipSpace(json, i + 1);
        return out.toString();
    }

    private static String readNumber(String json, int[] at) {
        int start = at[0];
        int i = start;
        while (i < json.length() && "+-.0123456789eE".indexOf(json.charAt(i)) >= 0) {
            i++;
        }
        if (i == start) {
            throw new IllegalArgumentException("expected a string or a number at " + start + " in " + json);
        }
        at[0] = skipSpace(json, i);
        return json.substring(start, i);
    }

    private static void expect(String json, int[] at, char c) {
        if (!tryRead(json, at, c)) {
            throw new IllegalArgumentException("expected '" + c + "' at " + at[0] + " in " + json);
        }
    }

    private static boolean tryRead(String json, int[] at, char c) {
        if (peek(json, at) != c) {
            return false;
        }
        at[0] = skipSpace(json, at[0] + 1);
        return true;
    }

    private static char peek(String json, int[] at) {
        return at[0] < json.length() ? json.charAt(at[0]) : '\0';
    }

    private static int skipSpace(String json, int i) {
        while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
            i++;
        }
        return i;
    }
}
