/** Implementation of the PostgreSQL module; not API. */
@NullMarked
package dev.outbox.postgres.internal;

import org.jspecify.annotations.NullMarked;
