package dev.outbox.mysql;

import dev.outbox.testkit.conformance.ConformanceFixture;
import dev.outbox.testkit.conformance.ConformanceSuite;

/** Every conformance suite, on MySQL 8 (with {@code -Pmysql8}). */
@MySql8
@ConformanceFixture(MySqlFixture.class)
class MySqlConformanceTest extends ConformanceSuite {}
