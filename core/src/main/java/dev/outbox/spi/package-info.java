/**
 * The service-provider interface a database module implements: everything that differs between
 * PostgreSQL and MySQL/MariaDB. The engine in {@code dev.outbox.internal} relies only on the
 * guarantees documented here.
 */
@NullMarked
package dev.outbox.spi;

import org.jspecify.annotations.NullMarked;
