package dev.outbox.spring.autoconfigure;

import java.util.Set;
import org.springframework.boot.sql.init.dependency.AbstractBeansOfTypeDatabaseInitializerDetector;

/**
 * Tells Spring Boot that {@link OutboxSchemaMigration} initializes the database, so that every bean
 * that depends on database initialization (the relay, JPA, the application's own) is created after
 * it, as after Liquibase or Flyway.
 */
public final class OutboxSchemaMigrationDetector extends AbstractBeansOfTypeDatabaseInitializerDetector {

    @Override
    protected Set<Class<?>> getDatabaseInitializerBeanTypes() {
        return Set.of(OutboxSchemaMigration.class);
    }
}
