package dev.outbox.testkit.database;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import java.util.ArrayList;
import java.util.List;

/**
 * A schema created for one test class, with a pool bound to it. Closing it closes the pools and
 * drops the schema.
 */
public final class TestSchema implements AutoCloseable {

    private final String name;
    private final HikariDataSource dataSource;
    private final Runnable drop;
    private final List<AutoCloseable> resources = new ArrayList<>();

    public TestSchema(String name, HikariDataSource dataSource, Runnable drop) {
        this.name = name;
        this.dataSource = dataSource;
        this.drop = drop;
    }

    /** The schema's name (on MySQL/MariaDB, the database's). */
    public String name() {
        return name;
    }

    /** A pool whose connections use this schema by default. */
    public HikariDataSource dataSource() {
        return dataSource;
    }

    /** The default outbox tables, qualified with this schema. */
    public OutboxTables tables() {
        return OutboxTables.of(name, OutboxTables.DEFAULT_PREFIX);
    }

    /** Closes {@code resource} with this schema (before the schema is dropped). */
    public void closeWith(AutoCloseable resource) {
        resources.add(resource);
    }

    @Override
    public void close() {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception ignored) {
                // best effort: the schema is dropped next
            }
        }
        dataSource.close();
        drop.run();
    }
}
