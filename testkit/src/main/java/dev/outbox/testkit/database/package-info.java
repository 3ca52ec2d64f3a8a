/**
 * The database a conformance suite runs on: a server tests may create schemas in ({@link
 * dev.outbox.testkit.database.TestDatabase}), the schema one test class owns, and a server a test
 * may crash and restart. Implement them for your own database, or take the ones this project's
 * database modules use.
 */
@NullMarked
package dev.outbox.testkit.database;

import org.jspecify.annotations.NullMarked;
