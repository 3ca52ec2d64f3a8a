/**
 * Faults a history run injects while its workload runs: server-side kills of a pool's sessions
 * ({@link dev.outbox.testsupport.faults.SessionTrackingDataSource}) and a relay in another JVM that is
 * killed with SIGKILL in the middle of a batch ({@link dev.outbox.testsupport.faults.RelayProcess}).
 * Server restarts are in {@link dev.outbox.testkit.database.RestartableDatabase}.
 */
@NullMarked
package dev.outbox.testsupport.faults;

import org.jspecify.annotations.NullMarked;
