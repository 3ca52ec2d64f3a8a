package dev.outbox.spring.autoconfigure;

import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spring.OutboxRelayLifecycle;
import dev.outbox.spring.SpringOutboxWriter;
import javax.sql.DataSource;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.util.unit.DataSize;

/**
 * The outbox on the application's DataSource: {@link OutboxWriter} and {@link SpringOutboxWriter}
 * (appends in Spring-managed transactions), and, unless {@code outbox.relay.enabled=false}, the
 * {@link OutboxRelay} with every consumer bean, started and stopped with the context. Each bean
 * backs off when the application defines its own.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
            "org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration",
            "org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration",
            "org.springframework.boot.autoconfigure.liquibase.LiquibaseAutoConfiguration"
        })
@ConditionalOnClass(OutboxRelay.class)
@ConditionalOnSingleCandidate(DataSource.class)
@ConditionalOnProperty(prefix = "outbox", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(OutboxProperties.class)
@Import(DatabaseInitializationDependencyConfigurer.class) // honours @DependsOnDatabaseInitialization
public class OutboxAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    OutboxTables outboxTables(OutboxProperties properties) {
        return properties.getTables().toTables();
    }

    @Bean
    @ConditionalOnMissingBean
    OutboxDialect outboxDialect(DataSource dataSource, OutboxProperties properties) {
        return OutboxDialects.of(dataSource, properties.getDialect());
    }

    @Bean
    @ConditionalOnMissingBean
    OutboxWriter outboxWriter(
            OutboxDialect dialect,
            OutboxTables tables,
            OutboxProperties properties,
            ObjectProvider<OutboxWriter.HeaderSource> headerSource) {
        OutboxWriter.Builder writer = OutboxWriter.builder(dialect)
                .tables(tables)
                .notifyRelays(properties.getWriter().isNotifyRelays());
        headerSource.ifAvailable(writer::headers);
        DataSize maxPayloadSize = properties.getWriter().getMaxPayloadSize();
        if (maxPayloadSize == null) {
            return writer.build();
        }
        try {
            return writer.maxPayloadBytes((int) Math.min(maxPayloadSize.toBytes(), Integer.MAX_VALUE))
                    .build();
        } catch (OutboxConfigurationException e) {
            throw new InvalidConfigurationPropertyValueException(
                    "outbox.writer.max-payload-size", maxPayloadSize, "must be 1 B to 1 GB (" + e.getMessage() + ")");
        }
    }

    @Bean
    @ConditionalOnMissingBean
    SpringOutboxWriter springOutboxWriter(OutboxWriter writer, DataSource dataSource) {
        return new SpringOutboxWriter(writer, dataSource);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "dev.outbox.migrations.OutboxMigrations")
    @ConditionalOnProperty(prefix = "outbox.migrations", name = "enabled")
    static class MigrationConfiguration {

        @Bean
        @ConditionalOnMissingBean
        OutboxSchemaMigration outboxSchemaMigration(DataSource dataSource, OutboxTables tables) {
            return new OutboxSchemaMigration(relayDataSource(dataSource), tables);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "outbox.relay", name = "enabled", matchIfMissing = true)
    static class RelayConfiguration {

        /**
         * Not started here: {@link OutboxRelayLifecycle} starts it once every singleton exists, and the
         * database is initialized (by the application's Liquibase or Flyway, or by {@code
         * outbox.migrations.enabled}).
         */
        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        @DependsOnDatabaseInitialization
        OutboxRelay outboxRelay(
                DataSource dataSource,
                OutboxDialect dialect,
                OutboxTables tables,
                OutboxProperties properties,
                ListableBeanFactory beans,
                ObjectProvider<OutboxConsumer> consumerBeans) {
            OutboxRelay.Builder relay = OutboxRelay.builder(relayDataSource(dataSource), dialect)
                    .tables(tables)
                    .options(properties.getRelay().toOptions());
            HandlerBeans.consumers(
                            beans, properties, consumerBeans.orderedStream().toList())
                    .forEach(relay::consumer);
            return relay.build();
        }

        @Bean
        @ConditionalOnMissingBean
        OutboxRelayLifecycle outboxRelayLifecycle(OutboxRelay relay) {
            return new OutboxRelayLifecycle(relay);
        }
    }

    /**
     * The DataSource itself, never a transaction-aware proxy of it: the relay's transactions are its
     * own and must not join a transaction of the calling thread.
     */
    static DataSource relayDataSource(DataSource dataSource) {
        DataSource target = dataSource;
        while (target instanceof TransactionAwareDataSourceProxy proxy && proxy.getTargetDataSource() != null) {
            target = proxy.getTargetDataSource();
        }
        return target;
    }
}
