/**
 * The engine: writer SQL, sequencer, consumer loops, leases and wake-ups. Not API: anything here may
 * change in any release.
 */
@NullMarked
package dev.outbox.internal;

import org.jspecify.annotations.NullMarked;
