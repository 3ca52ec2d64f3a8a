package dev.outbox.spring;

import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testsupport.database.MySqlServers;

class MariaDbTransactionalWriterTest extends TransactionalWriterTest {
    @Override
    TestDatabase database() {
        return MySqlServers.mariaDb();
    }
}
