/**
 * A runnable application built on outbox's public API only: course enrolments with a read model and
 * a search index derived from the log. Start at {@link dev.outbox.examples.CourseEnrollmentApp}.
 */
@NullMarked
package dev.outbox.examples;

import org.jspecify.annotations.NullMarked;
