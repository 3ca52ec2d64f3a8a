package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a phase's CPU went on this machine, from the kernel's counters: the bench's own JVM, one
 * child process (the broker), and the rest of the machine (the database server, mostly), each in
 * core-seconds, next to the idle time. On two cores shared by all three, the sum of the busy parts
 * over the wall time says whether a figure is bound by CPU, and each part's share says whose work
 * sets it. Linux only; elsewhere every figure is NaN.
 */
final class CpuUse {

    /** The clock ticks per second of /proc's counters ({@code getconf CLK_TCK} on Linux). */
    private static final double TICKS_PER_SECOND = 100.0;

    /** Counters at one moment, in ticks. */
    record Snapshot(long nanos, long busy, long idle, long self, long child) {}

    /** What a phase used, in core-seconds, over {@code wallSeconds}. */
    record Used(double wallSeconds, double self, double child, double rest, double idle) {

        /** {@code coreSeconds} per million of {@code events}. */
        private static double perMillion(double coreSeconds, long events) {
            return coreSeconds * 1_000_000 / events;
        }

        String describe(String childName, long events) {
            return String.format(
                    Locale.ROOT,
                    "CPU per 1M events: bench JVM %.1f s, %s %.1f s, database and rest %.1f s; idle %.1f"
                            + " core-s of %.1f s wall x %d cores",
                    perMillion(self, events),
                    childName,
                    perMillion(child, events),
                    perMillion(rest, events),
                    idle,
                    wallSeconds,
                    Runtime.getRuntime().availableProcessors());
        }
    }

    private final long childPid;

    CpuUse(long childPid) {
        this.childPid = childPid;
    }

    Snapshot now() {
        long[] machine = machine();
        return new Snapshot(
                System.nanoTime(), machine[0], machine[1], process("self"), process(Long.toString(childPid)));
    }

    Used since(Snapshot start) {
        Snapshot end = now();
        double self = (end.self() - start.self()) / TICKS_PER_SECOND;
        double child = (end.child() - start.child()) / TICKS_PER_SECOND;
        double busy = (end.busy() - start.busy()) / TICKS_PER_SECOND;
        return new Used(
                (end.nanos() - start.nanos()) / 1e9,
                self,
                child,
                Math.max(0, busy - self - child),
                (end.idle() - start.idle()) / TICKS_PER_SECOND);
    }

    /** Busy and idle ticks of all cores: /proc/stat's first line (idle and iowait count as idle). */
    private static long[] machine() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            long idle = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                long v = Long.parseLong(f[i]);
                if (i == 4 || i == 5) {
                    idle += v;
                } else {
                    busy += v;
                }
            }
            return new long[] {busy, idle};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** User and system ticks of a process so far (/proc/PID/stat fields 14 and 15). */
    private static long process(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
