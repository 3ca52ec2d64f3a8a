/**
 * Where this repository's tests find their database, in this order: a JDBC URL from the
 * environment, the local server, Testcontainers when a Docker engine is present, and (PostgreSQL
 * only) embedded PostgreSQL. With none, tests fail with a message that says how to provide one.
 * Also the private servers a test may crash and restart ({@link
 * dev.outbox.testsupport.database.RestartablePostgres}, {@link
 * dev.outbox.testsupport.database.RestartableMariaDb}).
 */
@NullMarked
package dev.outbox.testsupport.database;

import org.jspecify.annotations.NullMarked;
