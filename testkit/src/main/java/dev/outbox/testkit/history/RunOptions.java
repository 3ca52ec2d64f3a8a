package dev.outbox.testkit.history;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Size of a history run.
 *
 * @param duration how long the workload runs (faults keep coming until each kind ran once, even
 *     past it)
 * @param faultInterval how long the workload runs undisturbed between two faults
 * @param workload the writers
 * @param lease the relays' lease (and so the takeover time after a kill)
 * @param drainTimeout how long the relays may take to deliver everything after the workload stops
 * @param faults the kinds of faults to inject ({@link Fault.Kind#SERVER_RESTARTED} only on a
 *     {@code RestartableDatabase})
 */
public record RunOptions(
        Duration duration,
        Duration faultInterval,
        Workload.Options workload,
        Duration lease,
        Duration drainTimeout,
        Set<Fault.Kind> faults) {

    public RunOptions {
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(faultInterval, "faultInterval");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        faults = Set.copyOf(faults);
    }

    /** These options with only the given kinds of faults. */
    public RunOptions withFaults(Set<Fault.Kind> kinds) {
        return new RunOptions(duration, faultInterval, workload, lease, drainTimeout, kinds);
    }

    /** The size that runs in every build: about 30 s of workload with one fault of each kind. */
    public static RunOptions ci() {
        return new RunOptions(
                Duration.ofSeconds(30),
                Duration.ofSeconds(3),
                Workload.Options.defaults().withLongHold(Duration.ofSeconds(5)),
                Duration.ofSeconds(3),
                Duration.ofMinutes(2),
                EnumSet.allOf(Fault.Kind.class));
    }

    /** A soak: {@code duration} of workload, a fault every 15 s. */
    public static RunOptions soak(Duration duration) {
        return new RunOptions(
                duration,
                Duration.ofSeconds(15),
                Workload.Options.defaults().withLongHold(Duration.ofSeconds(6)),
                Duration.ofSeconds(3),
                Duration.ofMinutes(10),
                EnumSet.allOf(Fault.Kind.class));
    }

    /**
     * {@link #soak} when the system property {@code soak.minutes} is set, {@link #ci()} otherwise;
     * {@code history.seconds} overrides the CI duration, {@code history.rate} the writers' rate
     * (transactions per second, 0 for as fast as they can), {@code history.faults} the kinds of
     * faults (comma-separated {@link Fault.Kind} names).
     */
    public static RunOptions fromSystemProperties() {
        String soak = System.getProperty("soak.minutes");
        RunOptions options = soak != null && !soak.isBlank()
                ? soak(Duration.ofSeconds(Math.round(Double.parseDouble(soak) * 60)))
                : ci();
        String seconds = System.getProperty("history.seconds");
        if ((soak == null || soak.isBlank()) && seconds != null && !seconds.isBlank()) {
            options = new RunOptions(
                    Duration.ofSeconds(Long.parseLong(seconds)),
                    options.faultInterval(),
                    options.workload(),
                    options.lease(),
                    options.drainTimeout(),
                    options.faults());
        }
        String rate = System.getProperty("history.rate");
        if (rate != null && !rate.isBlank()) {
            options = new RunOptions(
                    options.duration(),
                    options.faultInterval(),
                    options.workload().withTransactionsPerSecond(Integer.parseInt(rate)),
                    options.lease(),
                    options.drainTimeout(),
                    options.faults());
        }
        String faults = System.getProperty("history.faults");
        if (faults != null && !faults.isBlank()) {
            Set<Fault.Kind> kinds = EnumSet.noneOf(Fault.Kind.class);
            for (String kind : faults.split(",")) {
                kinds.add(Fault.Kind.valueOf(kind.trim()));
            }
            options = options.withFaults(kinds);
        }
        return options;
    }

    /** Whether this is a soak (longer than the CI size). */
    public boolean isSoak() {
        return duration.compareTo(Duration.ofMinutes(2)) > 0;
    }
}
