package dev.outbox.spring.autoconfigure;

import dev.outbox.OutboxTables;
import dev.outbox.migrations.OutboxMigrations;
import javax.sql.DataSource;
import org.springframework.beans.factory.InitializingBean;

/**
 * Runs outbox's Liquibase changelog when the context starts ({@code outbox.migrations.enabled}). A
 * database initializer to Spring Boot ({@link OutboxSchemaMigrationDetector}): the relay, and every
 * other bean that depends on database initialization, comes after it.
 */
public final class OutboxSchemaMigration implements InitializingBean {

    private final DataSource dataSource;
    private final OutboxTables tables;

    OutboxSchemaMigration(DataSource dataSource, OutboxTables tables) {
        this.dataSource = dataSource;
        this.tables = tables;
    }

    @Override
    public void afterPropertiesSet() {
        OutboxMigrations.migrate(dataSource, tables);
    }
}
