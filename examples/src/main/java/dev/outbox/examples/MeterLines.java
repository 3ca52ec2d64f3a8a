package dev.outbox.examples;

import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The outbox's meters of a registry as lines to print: {@code name{tags} statistic=value ...}. */
final class MeterLines {

    private MeterLines() {}

    static List<String> of(MeterRegistry registry) {
        return registry.getMeters().stream()
                .filter(meter -> meter.getId().getName().startsWith("outbox."))
                .sorted(Comparator.comparing((Meter meter) -> meter.getId().getName())
                        .thenComparing(meter -> meter.getId().getTags().toString()))
                .map(MeterLines::line)
                .toList();
    }

    private static String line(Meter meter) {
        String tags = meter.getId().getTags().stream()
                .filter(tag -> !tag.getKey().equals("outbox")) // the same on every line
                .map(Tag::getValue)
                .collect(Collectors.joining(","));
        StringBuilder line = new StringBuilder(meter.getId().getName());
        if (!tags.isEmpty()) {
            line.append('{').append(tags).append('}');
        }
        for (Measurement measurement : meter.measure()) {
            line.append(' ')
                    .append(measurement.getStatistic().getTagValueRepresentation())
                    .append('=')
                    .append(format(measurement.getValue()));
        }
        return line.toString();
    }

    private static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15
                ? String.format(Locale.ROOT, "%,d", (long) value)
                : String.format(Locale.ROOT, "%.3f", value);
    }
}
