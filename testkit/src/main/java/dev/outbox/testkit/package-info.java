/**
 * Test fixtures for outbox: find a database to test on ({@link dev.outbox.testkit.database}), give
 * each test class a fresh schema with the real migration, record deliveries. The conformance suite
 * that every database runs is in {@link dev.outbox.testkit.conformance}.
 */
@NullMarked
package dev.outbox.testkit;

import org.jspecify.annotations.NullMarked;
