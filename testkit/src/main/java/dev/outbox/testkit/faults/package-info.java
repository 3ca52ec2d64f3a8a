/**
 * Faults a history run injects while its workload runs: server-side kills of a pool's sessions
 * ({@link dev.outbox.testkit.faults.SessionTrackingDataSource}) and a relay in another JVM that is
 * killed with SIGKILL in the middle of a batch ({@link dev.outbox.testkit.faults.RelayProcess}).
 * Server restarts are in {@link dev.outbox.testkit.database.RestartableDatabase}.
 */
@NullMarked
package dev.outbox.testkit.faults;

import org.jspecify.annotations.NullMarked;
