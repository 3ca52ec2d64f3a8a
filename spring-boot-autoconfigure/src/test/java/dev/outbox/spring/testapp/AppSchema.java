package dev.outbox.spring.testapp;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testkit.database.TestSchema;
import dev.outbox.testsupport.database.PooledTestSchema;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A fresh schema on a test database server for the test application, and the properties that point
 * the application at it, as {@code application.properties} would: its own pool, its own Liquibase
 * run of {@code db/test-app.yaml}, the outbox's tables in that schema.
 */
public final class AppSchema implements AutoCloseable {

    private final PooledTestSchema schema;

    private AppSchema(TestSchema schema) {
        this.schema = PooledTestSchema.of(schema);
    }

    public static AppSchema create(TestDatabase database, String hint) {
        return new AppSchema(database.createSchema(hint));
    }

    public TestSchema schema() {
        return schema;
    }

    /** The properties of the test application on this schema, then {@code extra} ({@code name=value}). */
    public String[] properties(String... extra) {
        List<String> properties = new ArrayList<>(dataSourceProperties());
        properties.addAll(List.of(
                "spring.liquibase.change-log=classpath:db/test-app.yaml",
                "spring.liquibase.default-schema=" + schema.name(),
                "spring.liquibase.liquibase-schema=" + schema.name(),
                "spring.jpa.hibernate.ddl-auto=none",
                "spring.jpa.open-in-view=false",
                "outbox.consumers.recorded.start-from=beginning",
                "outbox.relay.poll-ceiling=100ms"));
        properties.addAll(Arrays.asList(extra));
        return properties.toArray(String[]::new);
    }

    /** The DataSource's properties, and the outbox tables' schema. */
    public List<String> dataSourceProperties() {
        HikariDataSource pool = schema.dataSource();
        List<String> properties = new ArrayList<>(List.of(
                "spring.datasource.url=" + pool.getJdbcUrl(),
                "spring.datasource.username=" + pool.getUsername(),
                "spring.datasource.password=" + (pool.getPassword() == null ? "" : pool.getPassword()),
                "spring.datasource.hikari.connection-init-sql=" + pool.getConnectionInitSql(),
                "outbox.tables.schema=" + schema.name()));
        if (pool.getSchema() != null) {
            properties.add("spring.datasource.hikari.schema=" + pool.getSchema());
        }
        return properties;
    }

    /** The test application on this schema, started. */
    public ConfigurableApplicationContext start(String... extra) {
        return start(List.of(), extra);
    }

    /** The test application with {@code more} configuration classes, started. */
    public ConfigurableApplicationContext start(List<Class<?>> more, String... extra) {
        return new SpringApplicationBuilder(TestApplication.class)
                .sources(more.toArray(Class<?>[]::new))
                .properties(properties(extra))
                .run();
    }

    @Override
    public void close() {
        schema.close();
    }
}
