package dev.outbox.testkit.database;

import dev.outbox.OutboxTables;
import javax.sql.DataSource;

/**
 * A schema created for one test class by {@link TestDatabase#createSchema(String)}, with a pool
 * bound to it. Closing it closes the pool and whatever was registered with {@link
 * #closeWith(AutoCloseable)}, then drops the schema.
 */
public interface TestSchema extends AutoCloseable {

    /** The schema's name (on MySQL/MariaDB, the database's). */
    String name();

    /** A pool whose connections use this schema by default. */
    DataSource dataSource();

    /** The default outbox tables, qualified with this schema. */
    default OutboxTables tables() {
        return OutboxTables.of(name(), OutboxTables.DEFAULT_PREFIX);
    }

    /** Closes {@code resource} with this schema, before the schema is dropped. */
    void closeWith(AutoCloseable resource);

    /** Closes the pool and the registered resources, then drops the schema. */
    @Override
    void close();
}
