package dev.outbox.migrations;

import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import java.sql.Connection;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import liquibase.Scope;
import liquibase.UpdateSummaryOutputEnum;
import liquibase.changelog.ChangeLogParameters;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DatabaseChangelogCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.command.core.helpers.ShowSummaryArgument;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;

/**
 * Creates or upgrades the outbox tables by running the Liquibase changelog {@value #CHANGELOG}.
 * Running it again changes nothing. outbox never runs DDL on its own: call this (or include the
 * changelog in yours) from your deployment.
 *
 * <p>Thread-safe; concurrent calls from several application instances are serialized by
 * Liquibase's lock table.
 */
public final class OutboxMigrations {

    /** The master changelog on the class path, to {@code include} from your own changelog. */
    public static final String CHANGELOG = "dev/outbox/migrations/changelog.yaml";

    /** The changelog parameter that holds the table-name prefix. */
    public static final String PREFIX_PARAMETER = "outbox.prefix";

    private OutboxMigrations() {}

    /** Creates the tables {@code outbox_*} in the connection's current schema. */
    public static void migrate(DataSource dataSource) {
        migrate(dataSource, OutboxTables.defaults());
    }

    /**
     * Creates the tables of {@code tables}: in {@code tables.schema()} when set (it must exist; on
     * MySQL/MariaDB it is a database), with Liquibase's own tracking tables in the same schema.
     *
     * @throws OutboxException if the migration fails; Liquibase rolls back the failed changeset
     *     where the database allows DDL in transactions
     */
    public static void migrate(DataSource dataSource, OutboxTables tables) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(tables, "tables");
        try (Connection connection = dataSource.getConnection()) {
            Database database =
                    DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(connection));
            if (tables.schema() != null) {
                database.setDefaultSchemaName(tables.schema());
                database.setLiquibaseSchemaName(tables.schema());
            }
            ChangeLogParameters parameters = new ChangeLogParameters(database);
            parameters.set(PREFIX_PARAMETER, tables.prefix());
            // A library must not print to the console: Liquibase's UI messages and its update
            // summary go to its log (java.util.logging unless the application routes it elsewhere).
            Map<String, Object> scope = Map.of(
                    Scope.Attr.resourceAccessor.name(),
                    new ClassLoaderResourceAccessor(OutboxMigrations.class.getClassLoader()),
                    Scope.Attr.ui.name(),
                    new LoggerUIService());
            Scope.child(
                    scope,
                    () -> new CommandScope(UpdateCommandStep.COMMAND_NAME)
                            .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                            .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, CHANGELOG)
                            .addArgumentValue(DatabaseChangelogCommandStep.CHANGELOG_PARAMETERS, parameters)
                            .addArgumentValue(ShowSummaryArgument.SHOW_SUMMARY_OUTPUT, UpdateSummaryOutputEnum.LOG)
                            .execute());
        } catch (Exception e) {
            throw new OutboxException(
                    "outbox migration of " + tables.qualified(tables.prefix() + "*") + " failed: " + e.getMessage(), e);
        }
    }
}
