/**
 * The conformance suite: abstract test classes that prove outbox's guarantees against a real
 * server. A database module runs each through a subclass of a few lines that names its {@link
 * dev.outbox.testkit.database.TestDatabase} and its dialect, so every database is held to the same
 * tests.
 */
@NullMarked
package dev.outbox.testkit.conformance;

import org.jspecify.annotations.NullMarked;
