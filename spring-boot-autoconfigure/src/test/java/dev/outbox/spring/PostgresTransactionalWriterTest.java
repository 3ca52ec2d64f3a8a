package dev.outbox.spring;

import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testsupport.database.PostgresServers;

class PostgresTransactionalWriterTest extends TransactionalWriterTest {
    @Override
    TestDatabase database() {
        return PostgresServers.locate();
    }
}
