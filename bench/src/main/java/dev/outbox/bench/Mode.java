package dev.outbox.bench;

import java.util.List;

/** How long and how often: quick (a few minutes) or full. */
record Mode(
        String name,
        int reps,
        long writerMillis,
        long backlog,
        List<Integer> batchCurve,
        List<Integer> consumerBatchCurve,
        long latencyMillis,
        long debeziumBacklog,
        long idleMillis) {

    static Mode quick() {
        return new Mode(
                "quick", 3, 1_000, 100_000, List.of(200, 1_000, 5_000), List.of(100, 1_000), 2_000, 100_000, 15_000);
    }

    static Mode full() {
        return new Mode(
                "full",
                3,
                4_000,
                1_000_000,
                List.of(100, 500, 1_000, 2_000, 5_000, 10_000),
                List.of(100, 500, 1_000, 2_000, 5_000),
                10_000,
                1_000_000,
                45_000);
    }
}
