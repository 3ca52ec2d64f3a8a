/** What the tests that keep the READMEs true to the code share. */
@NullMarked
package dev.outbox.testsupport.docs;

import org.jspecify.annotations.NullMarked;
