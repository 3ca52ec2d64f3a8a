/** The publisher's engine: record mapping, producer settings, sessions of both modes. Not API. */
@NullMarked
package dev.outbox.kafka.internal;

import org.jspecify.annotations.NullMarked;
