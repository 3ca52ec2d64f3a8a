package dev.outbox.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** The table of results: printed as it grows and written to BENCHMARKS.md at the end. */
final class Report {

    /** One figure: a median over runs with its spread, and the target it is held to, if any. */
    record Row(
            String section,
            String database,
            String what,
            Stats value,
            String unit,
            @Nullable String target,
            @Nullable Boolean met,
            String note) {}

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    synchronized Row add(
            String section,
            String database,
            String what,
            Stats value,
            String unit,
            @Nullable String target,
            @Nullable Boolean met,
            String note) {
        Row row = new Row(section, database, what, value, unit, target, met, note);
        rows.add(row);
        System.out.println("  " + line(row));
        System.out.flush();
        return row;
    }

    Row add(String section, String database, String what, Stats value, String unit) {
        return add(section, database, what, value, unit, null, null, "");
    }

    /** A row held to "value >= bound" (or "<=" when {@code atMost}). */
    Row target(
            String section,
            String database,
            String what,
            Stats value,
            String unit,
            double bound,
            boolean atMost,
            String note) {
        double median = value.median();
        boolean met = atMost ? median <= bound : median >= bound;
        String target = (atMost ? "<= " : ">= ") + format(bound, unit);
        return add(section, database, what, value, unit, target, met, note);
    }

    synchronized void note(String text) {
        notes.add(text);
        System.out.println("  note: " + text);
    }

    synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    synchronized List<String> notes() {
        return List.copyOf(notes);
    }

    static String line(Row row) {
        return String.format(
                Locale.ROOT,
                "%-10s %-22s %-62s %14s %-9s %s%s",
                row.section(),
                row.database(),
                row.what(),
                format(row.value().median(), row.unit()),
                spread(row.value()),
                row.target() == null ? "" : row.target() + (Boolean.TRUE.equals(row.met()) ? " MET" : " MISSED"),
                row.note().isEmpty() ? "" : "  (" + row.note() + ")");
    }

    static String spread(Stats stats) {
        if (stats.runs() < 2) {
            return "n=" + stats.runs();
        }
        return String.format(Locale.ROOT, "±%.0f%%", stats.spread() * 100);
    }

    static String format(double value, String unit) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        String number;
        if (unit.equals("x")) {
            number = String.format(Locale.ROOT, "%.2f", value);
            return number + "x";
        }
        if (Math.abs(value) >= 100) {
            number = String.format(Locale.ROOT, "%,.0f", value);
        } else if (Math.abs(value) >= 10) {
            number = String.format(Locale.ROOT, "%.1f", value);
        } else {
            number = String.format(Locale.ROOT, "%.2f", value);
        }
        return number + (unit.isEmpty() ? "" : " " + unit);
    }

    /** The results as a Markdown table, one table per section. */
    String markdownTable() {
        StringBuilder md = new StringBuilder();
        String section = null;
        List<Row> sorted = new ArrayList<>(rows());
        // one table per section, the databases one after the other (the sort is stable)
        sorted.sort(Comparator.comparing((Row row) -> Sections.number(row.section()))
                .thenComparing(row -> Sections.title(row.section())));
        for (Row row : sorted) {
            if (!row.section().equals(section)) {
                section = row.section();
                md.append("\n### ").append(Sections.title(section)).append("\n\n");
                md.append("| database | figure | median | spread (min – max, runs) | target | |\n");
                md.append("|---|---|---:|---|---|---|\n");
            }
            md.append("| ")
                    .append(row.database())
                    .append(" | ")
                    .append(row.what())
                    .append(row.note().isEmpty() ? "" : " <br><sub>" + row.note() + "</sub>")
                    .append(" | ")
                    .append(format(row.value().median(), row.unit()))
                    .append(" | ")
                    .append(spread(row.value()))
                    .append(" (")
                    .append(format(row.value().min(), row.unit()))
                    .append(" – ")
                    .append(format(row.value().max(), row.unit()))
                    .append(", ")
                    .append(row.value().runs())
                    .append(") | ")
                    .append(row.target() == null ? "" : row.target())
                    .append(" | ")
                    .append(row.met() == null ? "" : row.met() ? "**met**" : "**missed**")
                    .append(" |\n");
        }
        return md.toString();
    }

    void write(Path file, String header, String footer) throws IOException {
        StringBuilder md = new StringBuilder(header);
        md.append(markdownTable());
        if (!notes().isEmpty()) {
            md.append("\n### Notes from the run\n\n");
            for (String note : notes()) {
                md.append("- ").append(note).append('\n');
            }
        }
        md.append(footer);
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
    }

    /** Section keys and their titles. */
    static final class Sections {
        static final String WRITER = "writer";
        static final String DRAIN = "drain";
        static final String CURVE = "curve";
        static final String LATENCY = "latency";
        static final String NOTIFY = "notify";
        static final String IDLE = "idle";
        static final String DEBEZIUM = "debezium";
        static final String PARTITION_READ = "partition-read";
        static final String PARTITION_SCALING = "partition-scaling";
        static final String KAFKA = "kafka";
        static final String OPERATIONS = "operations";
        static final String CONNECT = "connect";

        private Sections() {}

        /** The number a section's title starts with ("2b" counts as 2), for the order of the tables. */
        static int number(String key) {
            String title = title(key);
            int digits = 0;
            while (digits < title.length() && Character.isDigit(title.charAt(digits))) {
                digits++;
            }
            return digits == 0 ? Integer.MAX_VALUE : Integer.parseInt(title.substring(0, digits));
        }

        static String title(String key) {
            return switch (key) {
                case WRITER -> "1. Writer overhead (business transactions per second)";
                case DRAIN -> "2. Drain of a backlog (events per second)";
                case CURVE -> "2b. Batch-size curves (events per second)";
                case LATENCY -> "3. Latency, commit returned to handler invoked";
                case NOTIFY -> "4. Cost of NOTIFY on commit throughput";
                case IDLE -> "5. Idle cost (default settings)";
                case DEBEZIUM -> "6. Against Debezium (private PostgreSQL with wal_level=logical, same run)";
                case PARTITION_READ ->
                    "7. Reading one of 16 partitions of the log (events of the partition per second)";
                case PARTITION_SCALING ->
                    "8. Partitioned consumers, a handler that sleeps 1 ms per event (events per second)";
                case KAFKA -> "9. Kafka publisher, into a broker on this machine";
                case OPERATIONS -> "10. Cost of metrics and tracing (ratios to the plain variant, same run)";
                case CONNECT -> "11. Kafka Connect source connector, into a broker on this machine";
                default -> key;
            };
        }
    }
}
