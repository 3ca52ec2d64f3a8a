/**
 * The history harness: a workload of real business transactions records what each client did and
 * saw ({@link dev.outbox.testsupport.history.Workload}), consumers record every delivery, faults are
 * injected while it runs, and the testkit's {@link dev.outbox.testkit.history.HistoryChecker} judges
 * the recordings against the database's own record of what committed.
 *
 * <p>{@link dev.outbox.testsupport.history.HistoryTestBase} runs all of it against a database
 * module's dialect; a module subclasses it once.
 */
@NullMarked
package dev.outbox.testsupport.history;

import org.jspecify.annotations.NullMarked;
