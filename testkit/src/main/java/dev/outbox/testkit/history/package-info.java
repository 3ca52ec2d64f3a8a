/**
 * A history-based test of the outbox: a workload of real business transactions records what each
 * client did and saw ({@link dev.outbox.testkit.history.Workload}), consumers record every
 * delivery, faults are injected while it runs, and {@link dev.outbox.testkit.history.HistoryChecker}
 * judges the recordings against the database's own record of what committed: no loss, no phantom,
 * a gap-free log, exactly once for the transactional consumer, duplicates only around faults for
 * the at-least-once consumer, the real-time order guarantee and per-key version order.
 *
 * <p>{@link dev.outbox.testkit.history.HistoryTestBase} runs all of it against a database module's
 * dialect; a module subclasses it once. Public, so that users can run it against their own setup.
 */
@NullMarked
package dev.outbox.testkit.history;

import org.jspecify.annotations.NullMarked;
