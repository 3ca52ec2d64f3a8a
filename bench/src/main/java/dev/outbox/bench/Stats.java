package dev.outbox.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Samples of one figure over repeated runs: median and spread (min to max). */
record Stats(double[] samples) {

    static Stats of(List<Double> values) {
        return new Stats(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static Stats of(double... values) {
        return new Stats(values.clone());
    }

    double median() {
        if (samples.length == 0) {
            return Double.NaN;
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    double min() {
        return Arrays.stream(samples).min().orElse(Double.NaN);
    }

    double max() {
        return Arrays.stream(samples).max().orElse(Double.NaN);
    }

    int runs() {
        return samples.length;
    }

    /** Half the range as a fraction of the median: the "±" of the figure. */
    double spread() {
        double median = median();
        return median == 0 ? 0 : (max() - min()) / 2 / Math.abs(median);
    }

    /** The p-th percentile (0..100) of {@code values}, nearest rank. */
    static double percentile(long[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /** Collects samples of several named figures, run by run. */
    static final class Samples {
        private final List<Double> values = new ArrayList<>();

        void add(double value) {
            values.add(value);
        }

        Stats stats() {
            return Stats.of(values);
        }
    }
}
