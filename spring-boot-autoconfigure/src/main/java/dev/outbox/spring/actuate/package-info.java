/** Actuator support: the relay's health indicator and the read-only {@code outbox} endpoint. */
@NullMarked
package dev.outbox.spring.actuate;

import org.jspecify.annotations.NullMarked;
