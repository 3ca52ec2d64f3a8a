package dev.outbox.postgres;

import dev.outbox.testkit.conformance.ConformanceFixture;
import dev.outbox.testsupport.history.HistoryTestBase;

/**
 * The history test on a private PostgreSQL server that the test may crash and restart. CI size by
 * default; a soak with {@code -Dsoak.minutes=10} (see testkit/README.md).
 */
@ConformanceFixture(PostgresFixture.class)
class PostgresHistoryTest extends HistoryTestBase {}
