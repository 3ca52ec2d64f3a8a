/**
 * A JUnit 5 extension for tests of your own handlers: {@link dev.outbox.testkit.junit.OutboxExtension}
 * gives each test a relay and waits for consumers to catch up, instead of sleeps.
 */
@NullMarked
package dev.outbox.testkit.junit;

import org.jspecify.annotations.NullMarked;
