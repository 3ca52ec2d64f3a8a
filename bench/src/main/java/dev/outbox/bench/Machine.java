package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What the figures were measured on, and how busy it was. */
final class Machine {

    private Machine() {}

    static String describe() {
        return String.format(
                Locale.ROOT,
                "%d cores (%s), %s memory, %s %s, Java %s (%s)",
                Runtime.getRuntime().availableProcessors(),
                cpuModel(),
                memory(),
                System.getProperty("os.name"),
                System.getProperty("os.version"),
                System.getProperty("java.version"),
                System.getProperty("java.vm.name"));
    }

    /** The 1-, 5- and 15-minute load averages. */
    static double[] load() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {
                Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), Double.parseDouble(parts[2])
            };
        } catch (IOException | RuntimeException e) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
    }

    static String loadText() {
        double[] load = load();
        return String.format(
                Locale.ROOT, "load average %.2f / %.2f / %.2f (1 / 5 / 15 min)", load[0], load[1], load[2]);
    }

    /**
     * Waits until the 1-minute load average has stayed below {@code threshold} for {@code quietMillis},
     * at most {@code maxWaitMillis}; returns a description of what it found.
     */
    static String waitQuiet(double threshold, long quietMillis, long maxWaitMillis) throws InterruptedException {
        long start = System.currentTimeMillis();
        long quietSince = -1;
        while (true) {
            double now = load()[0];
            long t = System.currentTimeMillis();
            if (now < threshold) {
                if (quietSince < 0) {
                    quietSince = t;
                }
                if (t - quietSince >= quietMillis) {
                    return String.format(
                            Locale.ROOT,
                            "quiet: 1-min load < %.2f for %d s (waited %d s), %s",
                            threshold,
                            quietMillis / 1000,
                            (t - start) / 1000,
                            loadText());
                }
            } else {
                quietSince = -1;
            }
            if (t - start > maxWaitMillis) {
                return String.format(
                        Locale.ROOT,
                        "NOT quiet after waiting %d s (1-min load never stayed < %.2f for %d s), %s",
                        (t - start) / 1000,
                        threshold,
                        quietMillis / 1000,
                        loadText());
            }
            Thread.sleep(2_000);
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String memory() {
        try {
            long kb = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemTotal"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                    .findFirst()
                    .orElse(0);
            return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
