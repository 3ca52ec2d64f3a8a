package dev.outbox.testsupport.database;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.testkit.database.TestSchema;
import java.util.ArrayList;
import java.util.List;

/**
 * A schema created for one test class, with a pool bound to it. Closing it closes the pools and
 * drops the schema.
 */
public final class PooledTestSchema implements TestSchema {

    private final String name;
    private final HikariDataSource dataSource;
    private final Runnable drop;
    private final List<AutoCloseable> resources = new ArrayList<>();

    public PooledTestSchema(String name, HikariDataSource dataSource, Runnable drop) {
        this.name = name;
        this.dataSource = dataSource;
        this.drop = drop;
    }

    /**
     * {@code schema} as the databases of this module create it, for what needs its pool's settings.
     *
     * @throws IllegalArgumentException if another {@link dev.outbox.testkit.database.TestDatabase}
     *     created it
     */
    public static PooledTestSchema of(TestSchema schema) {
        if (schema instanceof PooledTestSchema pooled) {
            return pooled;
        }
        throw new IllegalArgumentException("needs a schema of a test-support database (PostgresServers, MySqlServers,"
                + " RestartablePostgres, RestartableMariaDb), got "
                + schema.getClass().getName());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public HikariDataSource dataSource() {
        return dataSource;
    }

    @Override
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
