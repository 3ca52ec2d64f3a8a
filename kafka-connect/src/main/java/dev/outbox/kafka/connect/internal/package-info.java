/**
 * The connector's implementation: not an API. Pure decisions (what is delivered, where a task
 * starts) and the task's database resources.
 */
@NullMarked
package dev.outbox.kafka.connect.internal;

import org.jspecify.annotations.NullMarked;
