package dev.outbox.testsupport.history;

import dev.outbox.testkit.history.Fault;
import dev.outbox.testkit.history.FaultyConsumer;
import dev.outbox.testkit.history.HandlerFaults;
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
 * @param handlerFaults whether the run has the {@link FaultyConsumer}s, whose handlers fail as
 *     {@link HandlerFaults} plans, and an operator re-driving and discarding their dead letters
 * @param seed the seed of the handler faults and of the operator
 * @param partitions the partitions of the projection and the recorder (1: not split); the faulty
 *     consumers are not split
 * @param relayProcesses 0: the relays run in this JVM (and once in another, to be killed); more:
 *     that many relays run in child JVMs and share the partitions, killed, frozen, joined and
 *     restarted in turn
 */
public record RunOptions(
        Duration duration,
        Duration faultInterval,
        Workload.Options workload,
        Duration lease,
        Duration drainTimeout,
        Set<Fault.Kind> faults,
        boolean handlerFaults,
        long seed,
        int partitions,
        int relayProcesses) {

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
        return new RunOptions(
                duration,
                faultInterval,
                workload,
                lease,
                drainTimeout,
                kinds,
                handlerFaults,
                seed,
                partitions,
                relayProcesses);
    }

    /** These options with handler faults on or off. */
    public RunOptions withHandlerFaults(boolean on) {
        return new RunOptions(
                duration, faultInterval, workload, lease, drainTimeout, faults, on, seed, partitions, relayProcesses);
    }

    /** These options with another seed. */
    public RunOptions withSeed(long newSeed) {
        return new RunOptions(
                duration,
                faultInterval,
                workload,
                lease,
                drainTimeout,
                faults,
                handlerFaults,
                newSeed,
                partitions,
                relayProcesses);
    }

    /** These options with the projection and the recorder split into {@code newPartitions}. */
    public RunOptions withPartitions(int newPartitions) {
        return new RunOptions(
                duration,
                faultInterval,
                workload,
                lease,
                drainTimeout,
                faults,
                handlerFaults,
                seed,
                newPartitions,
                relayProcesses);
    }

    /** These options with the relays in {@code processes} child JVMs (0: in this JVM). */
    public RunOptions withRelayProcesses(int processes) {
        return new RunOptions(
                duration,
                faultInterval,
                workload,
                lease,
                drainTimeout,
                faults,
                handlerFaults,
                seed,
                partitions,
                processes);
    }

    /** These options with another workload duration. */
    public RunOptions withDuration(Duration newDuration) {
        return new RunOptions(
                newDuration,
                faultInterval,
                workload,
                lease,
                drainTimeout,
                faults,
                handlerFaults,
                seed,
                partitions,
                relayProcesses);
    }

    /** These options with another workload. */
    public RunOptions withWorkload(Workload.Options newWorkload) {
        return new RunOptions(
                duration,
                faultInterval,
                newWorkload,
                lease,
                drainTimeout,
                faults,
                handlerFaults,
                seed,
                partitions,
                relayProcesses);
    }

    /**
     * The keys of a soak's writers. The CI size's 16 make writers conflict often; over minutes they
     * also let the handler faults (about one event a second per consumer that a handler fails on
     * for good) park nearly every key of a {@code PARK_KEY} consumer at any moment, so that nearly
     * every event is parked behind its key, which no real consumer sees and the re-drive does not
     * keep up with (testkit/README.md has the figures). On 256 keys a parked key holds back a few
     * events a second.
     */
    public static final int SOAK_KEYS = 256;

    /**
     * The size that runs in every build: about 30 s of workload with one fault of each kind, and
     * handler faults.
     */
    public static RunOptions ci() {
        return new RunOptions(
                Duration.ofSeconds(30),
                Duration.ofSeconds(3),
                Workload.Options.defaults().withLongHold(Duration.ofSeconds(5)),
                Duration.ofSeconds(3),
                Duration.ofMinutes(2),
                EnumSet.allOf(Fault.Kind.class),
                true,
                System.nanoTime(),
                1,
                0);
    }

    /**
     * A soak: {@code duration} of workload on {@link #SOAK_KEYS} keys, a fault every 15 s, and
     * handler faults.
     */
    public static RunOptions soak(Duration duration) {
        return new RunOptions(
                duration,
                Duration.ofSeconds(15),
                Workload.Options.defaults().withLongHold(Duration.ofSeconds(6)).withKeys(SOAK_KEYS),
                Duration.ofSeconds(3),
                Duration.ofMinutes(10),
                EnumSet.allOf(Fault.Kind.class),
                true,
                System.nanoTime(),
                1,
                0);
    }

    /**
     * {@link #soak} when the system property {@code soak.minutes} is set, {@link #ci()} otherwise;
     * {@code history.seconds} overrides the CI duration, {@code history.keys} the writers' keys,
     * {@code history.rate} the writers' rate
     * (transactions per second, 0 for as fast as they can), {@code history.faults} the kinds of
     * faults (comma-separated {@link Fault.Kind} names), {@code history.handlerFaults=false} turns
     * the handler faults off, {@code history.seed} repeats a run's handler faults, {@code
     * history.partitions} splits the projection and the recorder, {@code history.relayProcesses}
     * runs the relays in that many child JVMs.
     */
    public static RunOptions fromSystemProperties() {
        String soak = System.getProperty("soak.minutes");
        boolean soaking = soak != null && !soak.isBlank();
        RunOptions options = soaking ? soak(Duration.ofSeconds(Math.round(Double.parseDouble(soak) * 60))) : ci();
        String seconds = System.getProperty("history.seconds");
        if (!soaking && seconds != null && !seconds.isBlank()) {
            options = options.withDuration(Duration.ofSeconds(Long.parseLong(seconds)));
        }
        String keys = System.getProperty("history.keys");
        if (keys != null && !keys.isBlank()) {
            options = options.withWorkload(options.workload().withKeys(Integer.parseInt(keys)));
        }
        String rate = System.getProperty("history.rate");
        if (rate != null && !rate.isBlank()) {
            options = options.withWorkload(options.workload().withTransactionsPerSecond(Integer.parseInt(rate)));
        }
        String faults = System.getProperty("history.faults");
        if (faults != null && !faults.isBlank()) {
            Set<Fault.Kind> kinds = EnumSet.noneOf(Fault.Kind.class);
            for (String kind : faults.split(",")) {
                kinds.add(Fault.Kind.valueOf(kind.trim()));
            }
            options = options.withFaults(kinds);
        }
        String handlerFaults = System.getProperty("history.handlerFaults");
        if (handlerFaults != null && !handlerFaults.isBlank()) {
            options = options.withHandlerFaults(Boolean.parseBoolean(handlerFaults));
        }
        String partitions = System.getProperty("history.partitions");
        if (partitions != null && !partitions.isBlank()) {
            options = options.withPartitions(Integer.parseInt(partitions));
        }
        String processes = System.getProperty("history.relayProcesses");
        if (processes != null && !processes.isBlank()) {
            options = options.withRelayProcesses(Integer.parseInt(processes));
        }
        String seed = System.getProperty("history.seed");
        if (seed != null && !seed.isBlank()) {
            options = options.withSeed(Long.parseLong(seed));
        }
        return options;
    }

    /** Whether this is a soak (longer than the CI size). */
    public boolean isSoak() {
        return duration.compareTo(Duration.ofMinutes(2)) > 0;
    }
}
