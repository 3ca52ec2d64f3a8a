package dev.outbox.postgres;

import dev.outbox.testkit.conformance.ConformanceFixture;
import dev.outbox.testkit.conformance.ConformanceSuite;

/** Every conformance suite, on PostgreSQL. */
@ConformanceFixture(PostgresFixture.class)
class PostgresConformanceTest extends ConformanceSuite {}
