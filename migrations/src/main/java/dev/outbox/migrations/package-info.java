/** Runs the Liquibase changelog that creates the outbox tables: {@link dev.outbox.migrations.OutboxMigrations}. */
@NullMarked
package dev.outbox.migrations;

import org.jspecify.annotations.NullMarked;
