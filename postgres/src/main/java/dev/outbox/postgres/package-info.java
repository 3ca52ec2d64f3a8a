/** PostgreSQL support for outbox: pass {@link dev.outbox.postgres.PostgresDialect#create()}. */
@NullMarked
package dev.outbox.postgres;

import org.jspecify.annotations.NullMarked;
