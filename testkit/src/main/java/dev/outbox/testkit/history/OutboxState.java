package dev.outbox.testkit.history;

import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.history.DatabaseState.DeadLetterRow;
import dev.outbox.testkit.history.DatabaseState.LogEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * What the outbox's own tables hold at the end of a run: the log, the sequencer's next seq, the
 * events still queued and the dead letters. The part of a {@link DatabaseState} that outbox keeps;
 * the application's part (which transactions committed) comes from its own tables.
 *
 * @param log every entry of the log, in seq order
 * @param nextSeq the sequencer's {@code next_seq}
 * @param queued ids of the events still in the queue table (a drained run has none)
 * @param deadLetters every row of the dead-letter table, by consumer and seq
 */
public record OutboxState(List<LogEntry> log, long nextSeq, Set<UUID> queued, List<DeadLetterRow> deadLetters) {

    public OutboxState {
        log = List.copyOf(log);
        queued = Set.copyOf(queued);
        deadLetters = List.copyOf(deadLetters);
    }

    /** Reads the tables of {@code tables}, in one connection of {@code dataSource}. */
    public static OutboxState read(DataSource dataSource, OutboxDialect dialect, OutboxTables tables)
            throws SQLException {
        DSLContext sql = DSL.using(dialect.sqlDialect());
        String schema = tables.schema();
        Function<String, String> table = name -> sql.render(schema == null ? DSL.name(name) : DSL.name(schema, name));
        Function<String, String> c = name -> sql.render(DSL.name(name));
        try (Connection connection = dataSource.getConnection()) {
            List<LogEntry> log = new ArrayList<>();
            try (PreparedStatement read = connection.prepareStatement("SELECT " + c.apply("seq") + ", "
                            + c.apply("event_id") + ", " + c.apply("aggregate_id") + " FROM "
                            + table.apply(tables.logTable()) + " ORDER BY " + c.apply("seq"));
                    ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    log.add(new LogEntry(rs.getLong(1), dialect.readUuid(rs, 2), rs.getString(3)));
                }
            }
            long nextSeq;
            try (PreparedStatement read = connection.prepareStatement("SELECT " + c.apply("next_seq") + " FROM "
                            + table.apply(tables.sequencerTable()) + " WHERE " + c.apply("name") + " = 'default'");
                    ResultSet rs = read.executeQuery()) {
                nextSeq = rs.next() ? rs.getLong(1) : -1;
            }
            Set<UUID> queued = new HashSet<>();
            try (PreparedStatement read = connection.prepareStatement(
                            "SELECT " + c.apply("event_id") + " FROM " + table.apply(tables.eventTable()));
                    ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    queued.add(dialect.readUuid(rs, 1));
                }
            }
            List<DeadLetterRow> deadLetters = new ArrayList<>();
            try (PreparedStatement read = connection.prepareStatement("SELECT " + c.apply("consumer") + ", "
                            + c.apply("seq") + ", " + c.apply("status") + ", " + c.apply("attempts") + " FROM "
                            + table.apply(tables.deadLetterTable()) + " ORDER BY " + c.apply("consumer") + ", "
                            + c.apply("seq"));
                    ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    deadLetters.add(new DeadLetterRow(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getInt(4)));
                }
            }
            return new OutboxState(log, nextSeq, queued, deadLetters);
        }
    }
}
