/**
 * MySQL 8.0 and MariaDB 10.6 and later: pass {@link dev.outbox.mysql.MySqlDialect#create()} or
 * {@link dev.outbox.mysql.MariaDbDialect#create()} to {@code OutboxWriter} and {@code OutboxRelay},
 * matching the server (the relay refuses the other one at start-up).
 */
@NullMarked
package dev.outbox.mysql;

import org.jspecify.annotations.NullMarked;
