package dev.outbox.cli;

import dev.outbox.OutboxRecord;
import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;

/** How log entries are printed: one line each ({@code tail}), in full ({@code show}), or as JSON. */
final class Records {

    private Records() {}

    /** {@code seq  sequenced-at  type/id  event-type  event-id  payload}, the payload cut to {@code width} (0: whole). */
    static String line(OutboxRecord record, int width) {
        return record.seq() + "  " + Times.format(record.sequencedAt()) + "  " + aggregate(record) + "  "
                + record.eventType() + "  " + record.eventId() + "  " + truncate(flat(record.payload()), width);
    }

    /** Every field, the headers sorted by name, then the whole payload as it is. */
    static void printFull(PrintWriter out, OutboxRecord record) {
        Table fields = new Table("FIELD", "VALUE");
        fields.row("seq", record.seq());
        fields.row("event id", record.eventId());
        fields.row("aggregate", aggregate(record));
        fields.row("event type", record.eventType());
        fields.row("created at", Times.format(record.createdAt()));
        fields.row("sequenced at", Times.format(record.sequencedAt()));
        fields.print(out);
        out.println();
        if (record.headers().isEmpty()) {
            out.println("headers: none");
        } else {
            out.println("headers:");
            new TreeMap<>(record.headers()).forEach((name, value) -> out.println("  " + name + ": " + value));
        }
        out.println();
        out.println("payload (" + record.payload().length() + " characters):");
        out.println(record.payload());
    }

    /**
     * {@code {"seq", "eventId", "aggregateType", "aggregateId", "eventType", "createdAt", "sequencedAt",
     * "headers": {name: value}, "payload"}}; the payload as a JSON string, whatever it holds.
     */
    static void json(JsonWriter json, OutboxRecord record) {
        json.beginObject();
        json.field("seq", record.seq());
        json.field("eventId", record.eventId().toString());
        json.field("aggregateType", record.aggregateType());
        json.field("aggregateId", record.aggregateId());
        json.field("eventType", record.eventType());
        json.field("createdAt", record.createdAt());
        json.field("sequencedAt", record.sequencedAt());
        json.name("headers").beginObject();
        for (Map.Entry<String, String> header : new TreeMap<>(record.headers()).entrySet()) {
            json.field(header.getKey(), header.getValue());
        }
        json.endObject();
        json.field("payload", record.payload());
        json.endObject();
    }

    /** {@code type/id}, or {@code id} alone when the entry has no aggregate type. */
    static String aggregate(OutboxRecord record) {
        return record.aggregateType() == null
                ? record.aggregateId()
                : record.aggregateType() + "/" + record.aggregateId();
    }

    /** Line breaks and tabs as the two characters {@code \n}, {@code \t}: one entry, one line. */
    static String flat(String text) {
        return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t");
    }

    static String truncate(String text, int width) {
        if (width <= 0 || text.length() <= width) {
            return text;
        }
        return width <= 3 ? text.substring(0, width) : text.substring(0, width - 3) + "...";
    }
}
