package dev.outbox.testkit.database;

import dev.outbox.OutboxTables;
import javax.sql.DataSource;

/**
 * A database server tests may create schemas in. An implementation usually lives for the whole
 * JVM and is shared by every test class that runs on it.
 */
public interface TestDatabase {

    /** What and where it is, for messages: {@code "PostgreSQL 15.20 (local server 127.0.0.1:5432)"}. */
    String description();

    /**
     * Creates an empty schema (on MySQL/MariaDB a database) named {@code outbox_<hint>_<random>} and
     * a connection pool whose connections use it by default and run in a non-UTC session time zone.
     */
    TestSchema createSchema(String hint);

    /**
     * A data source for a role that may only INSERT into the event table of {@code tables} and do
     * nothing else in that schema: what an application's role needs to append. Created on demand.
     */
    DataSource insertOnlyDataSource(TestSchema schema, OutboxTables tables);

    /** Closes every connection of other sessions to {@code schema}, from the server side. */
    void killConnections(TestSchema schema);
}
