package dev.outbox.testsupport.database;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.testkit.conformance.OutboxFixture;
import dev.outbox.testkit.database.TestSchema;
import java.util.Map;
import javax.sql.DataSource;
import liquibase.Scope;
import liquibase.UpdateSummaryOutputEnum;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.command.core.helpers.ShowSummaryArgument;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;

/**
 * The fixture of a database this repository supports: its tables come from outbox's Liquibase
 * changelog ({@link OutboxMigrations}), and a changelog of a test runs as a deployment's Liquibase
 * would run it, connecting by URL with a default schema of its own.
 */
public abstract class LiquibaseFixture implements OutboxFixture {

    @Override
    public void migrate(DataSource dataSource, OutboxTables tables) {
        OutboxMigrations.migrate(dataSource, tables);
    }

    @Override
    public void runChangelog(TestSchema connectTo, String changelog, String defaultSchema) {
        HikariDataSource pool = PooledTestSchema.of(connectTo).dataSource();
        Map<String, Object> scope = Map.of(
                Scope.Attr.resourceAccessor.name(),
                new ClassLoaderResourceAccessor(LiquibaseFixture.class.getClassLoader()),
                Scope.Attr.ui.name(),
                new LoggerUIService());
        try {
            Scope.child(
                    scope,
                    () -> new CommandScope(UpdateCommandStep.COMMAND_NAME)
                            .addArgumentValue(DbUrlConnectionArgumentsCommandStep.URL_ARG, pool.getJdbcUrl())
                            .addArgumentValue(DbUrlConnectionArgumentsCommandStep.USERNAME_ARG, pool.getUsername())
                            .addArgumentValue(DbUrlConnectionArgumentsCommandStep.PASSWORD_ARG, pool.getPassword())
                            .addArgumentValue(
                                    DbUrlConnectionArgumentsCommandStep.DEFAULT_SCHEMA_NAME_ARG, defaultSchema)
                            .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, changelog)
                            .addArgumentValue(ShowSummaryArgument.SHOW_SUMMARY_OUTPUT, UpdateSummaryOutputEnum.LOG)
                            .execute());
        } catch (Exception e) {
            throw new IllegalStateException(
                    "Liquibase update of " + changelog + " in " + defaultSchema + " failed: " + e.getMessage(), e);
        }
    }
}
