/**
 * Where tests find their database, in this order: a JDBC URL from the environment, the local
 * server, Testcontainers when a Docker engine is present, and (PostgreSQL only) embedded
 * PostgreSQL. With none, tests fail with a message that says how to provide one.
 */
@NullMarked
package dev.outbox.testkit.database;

import org.jspecify.annotations.NullMarked;
