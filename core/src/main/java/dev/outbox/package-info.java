/**
 * The public API of outbox: append events with {@link dev.outbox.OutboxWriter} inside your own
 * transactions, run an {@link dev.outbox.OutboxRelay} that turns them into a gap-free log in commit
 * order, and register {@link dev.outbox.EventHandler}s that keep derived systems current.
 *
 * <p>A user imports this package and one database module ({@code dev.outbox.postgres} or {@code
 * dev.outbox.mysql}); nothing in {@code dev.outbox.internal} is API.
 */
@NullMarked
package dev.outbox;

import org.jspecify.annotations.NullMarked;
