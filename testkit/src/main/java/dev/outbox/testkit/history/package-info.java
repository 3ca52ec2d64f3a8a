/**
 * The history checker: judges what consumers received against the database's own record of what
 * committed. Feed a {@link dev.outbox.testkit.history.History} with the transactions your test
 * committed and the deliveries your consumers got, then check it with {@link
 * dev.outbox.testkit.history.HistoryChecker}: no loss, no phantom, a gap-free log, exactly once for a
 * transactional consumer, duplicates only around faults for an at-least-once consumer, the
 * real-time order guarantee and per-key version order.
 */
@NullMarked
package dev.outbox.testkit.history;

import org.jspecify.annotations.NullMarked;
