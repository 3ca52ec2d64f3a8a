/**
 * The service-provider interface a database module implements: everything that differs between
 * PostgreSQL and MySQL/MariaDB. The engine in {@code dev.outbox.internal} relies only on the
 * guarantees documented here.
 *
 * <p>Applications only name {@link dev.outbox.spi.OutboxDialect} as a type, for example to choose
 * {@code PostgresDialect.create()} or {@code MariaDbDialect.create()} at run time; they never call
 * its methods.
 */
@NullMarked
package dev.outbox.spi;

import org.jspecify.annotations.NullMarked;
