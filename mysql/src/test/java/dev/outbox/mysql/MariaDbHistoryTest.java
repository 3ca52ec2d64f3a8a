package dev.outbox.mysql;

import dev.outbox.testkit.conformance.ConformanceFixture;
import dev.outbox.testsupport.history.HistoryTestBase;

/**
 * The history test on a private MariaDB server that the test may crash and restart. CI size by
 * default; a soak with {@code -Dsoak.minutes=10} (see testkit/README.md).
 *
 * <p>This test found the sequencer stalling behind an open transaction on InnoDB: a range {@code
 * DELETE} of a batch read, and waited for, the uncommitted row just past the range. The sequencer
 * now deletes each run with {@code ORDER BY position LIMIT n} on InnoDB.
 */
@ConformanceFixture(MariaDbFixture.class)
class MariaDbHistoryTest extends HistoryTestBase {}
