/**
 * The {@code outbox} command-line tool for operators: {@link dev.outbox.cli.OutboxCli} is its entry
 * point. Everything else in this package is the tool's own implementation, not an API.
 */
@NullMarked
package dev.outbox.cli;

import org.jspecify.annotations.NullMarked;
