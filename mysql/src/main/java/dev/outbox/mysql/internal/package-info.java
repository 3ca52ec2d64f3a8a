/** Implementation of the MySQL/MariaDB module; not API. */
@NullMarked
package dev.outbox.mysql.internal;

import org.jspecify.annotations.NullMarked;
