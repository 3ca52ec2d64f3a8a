package dev.outbox.mysql;

import dev.outbox.testkit.conformance.ConformanceFixture;
import dev.outbox.testkit.conformance.ConformanceSuite;

/** Every conformance suite, on MariaDB. */
@ConformanceFixture(MariaDbFixture.class)
class MariaDbConformanceTest extends ConformanceSuite {}
