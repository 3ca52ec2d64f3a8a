package dev.outbox.testkit.database;

import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxDialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.jooq.impl.DSL;

/**
 * Plain SQL for a test's schema: names quoted for the dialect under test, statements run on their
 * own connection, and the outbox emptied between tests. Thread-safe.
 */
public final class SchemaSql {

    private final DataSource dataSource;
    private final OutboxDialect dialect;
    private final String schema;

    public SchemaSql(DataSource dataSource, OutboxDialect dialect, String schema) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.dialect = Objects.requireNonNull(dialect, "dialect");
        this.schema = Objects.requireNonNull(schema, "schema");
    }

    /** The quoted, schema-qualified name of table {@code name}. */
    public String table(String name) {
        return DSL.using(dialect.sqlDialect()).render(DSL.name(schema, name));
    }

    /** A quoted column name. */
    public String column(String name) {
        return DSL.using(dialect.sqlDialect()).render(DSL.name(name));
    }

    /** Runs {@code sql} with {@code parameters}, auto-committed. */
    public void execute(String sql, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            statement.execute();
        }
    }

    /**
     * Empties the outbox of {@code tables}: queue, log, consumers, dead letters and relays deleted,
     * the sequencer back at seq 1 with no holder, so that the next test's log begins at seq 1.
     */
    public void emptyOutbox(OutboxTables tables) throws SQLException {
        for (String table : List.of(
                tables.eventTable(),
                tables.logTable(),
                tables.consumerTable(),
                tables.deadLetterTable(),
                tables.relayTable())) {
            execute("DELETE FROM " + table(table));
        }
        execute("UPDATE " + table(tables.sequencerTable()) + " SET " + column("next_seq") + " = 1, " + column("holder")
                + " = NULL, " + column("lease_until") + " = NULL");
    }
}
