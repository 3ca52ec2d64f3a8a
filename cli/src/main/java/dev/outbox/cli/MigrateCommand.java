package dev.outbox.cli;

import dev.outbox.migrations.OutboxMigrations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code outbox migrate}: creates or upgrades the outbox tables with the Liquibase changelog. */
@Command(
        name = "migrate",
        mixinStandardHelpOptions = true,
        description = {
            "Create or upgrade the outbox tables (Liquibase changelog " + OutboxMigrations.CHANGELOG + ", run by"
                    + " OutboxMigrations.migrate), then check them as relays do. Running it again changes nothing.",
            "The schema (--schema; on MySQL/MariaDB the database) must exist; Liquibase's tracking tables go there"
                    + " too. The user needs the rights to create tables and indexes."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  outbox migrate --jdbc-url jdbc:postgresql://db/app --user owner --schema app",
            "  outbox migrate --jdbc-url jdbc:mariadb://db:3306/app --user owner \\",
            "      --prefix shop_"
        })
final class MigrateCommand extends DatabaseCommand {

    @Mixin
    ProgressOptions progress;

    @Override
    boolean needsSchema() {
        return false;
    }

    @Override
    int run(Database database) {
        out().println("migrating " + database.tablesText());
        out().flush();
        // Liquibase says nothing about its progress: an indefinite bar shows the tool is at work.
        try (Progress bar = Progress.start(progress, context(), err(), "migrate", -1)) {
            OutboxMigrations.migrate(database.dataSource(), database.tables());
            bar.update(1, 1, "done");
        }
        database.requireSchema();
        out().println("OK: " + database.tablesText() + " are at the schema version this outbox needs");
        out().flush();
        return ExitCodes.OK;
    }
}
