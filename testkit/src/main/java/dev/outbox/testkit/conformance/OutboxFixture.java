package dev.outbox.testkit.conformance;

import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.RestartableDatabase;
import dev.outbox.testkit.database.TestDatabase;
import dev.outbox.testkit.database.TestSchema;
import javax.sql.DataSource;

/**
 * What the conformance suites need of a database: the server, the dialect, the migration and
 * (for {@link ServerRestartConformanceTest}) a server they may crash. One implementation per
 * database, with a public no-argument constructor, named by {@link ConformanceFixture}.
 */
public interface OutboxFixture {

    /**
     * The fixture named by {@link ConformanceFixture} on {@code type} or the nearest class it is
     * nested in: one instance per fixture class for the whole JVM, as the servers it finds.
     *
     * @throws IllegalStateException if none names one, or it cannot be created
     */
    static OutboxFixture namedBy(Class<?> type) {
        return FixtureInstances.namedBy(type);
    }

    /** The server the suites create their schemas on; shared by every suite. */
    TestDatabase database();

    /** The dialect under test. */
    OutboxDialect dialect();

    /** Creates or upgrades the outbox tables of {@code tables}, as the application's deployment does. */
    void migrate(DataSource dataSource, OutboxTables tables);

    /**
     * Runs a Liquibase changelog from the class path, connected to {@code connectTo}, with Liquibase's
     * default schema (where its changes and tracking tables go) set to {@code defaultSchema}: what a
     * deployment that includes outbox's changelog in its own does. {@link MigrationConformanceTest}
     * uses it, with {@code outbox-migrations} on the class path.
     */
    void runChangelog(TestSchema connectTo, String changelog, String defaultSchema);

    /**
     * Starts a private server of this database that the caller may crash and restart, and closes.
     *
     * @throws UnsupportedOperationException when this fixture has none (the default)
     */
    default RestartableDatabase launchRestartableServer() {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " cannot launch a restartable server: implement launchRestartableServer() to run"
                + " ServerRestartConformanceTest");
    }
}
