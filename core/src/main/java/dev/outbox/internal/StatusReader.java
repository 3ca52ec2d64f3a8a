package dev.outbox.internal;

import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Reads {@link ConsumerStatus} from the tables, whichever relay runs each consumer. */
final class StatusReader {

    private final RelayContext context;

    StatusReader(RelayContext context) {
        this.context = context;
    }

    private record Row(
            long checkpoint,
            @Nullable String owner,
            boolean leaseLive,
            @Nullable Long blockedSeq,
            @Nullable String lastError,
            @Nullable Instant lastErrorAt,
            @Nullable Instant waitingSince) {}

    /**
     * The status of each of {@code names}, in that order; with {@code allRows}, then of every other
     * consumer row, by name. {@code registered}: the consumers the reading relay registers.
     */
    List<ConsumerStatus> read(List<String> names, Set<String> registered, boolean allRows) {
        try {
            return context.withConnection(connection -> read(connection, names, registered, allRows));
        } catch (SQLException e) {
            throw new OutboxException(
                    "reading consumer status failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
        }
    }

    private List<ConsumerStatus> read(
            Connection connection, List<String> first, Set<String> registered, boolean allRows) throws SQLException {
        long head;
        Instant now;
        try (NamedSql.Bound select = context.ops.readHeadAndNow.prepare(connection)) {
            select.set("sequencer", OutboxSql.SEQUENCER_NAME);
            try (ResultSet rs = select.statement().executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("the sequencer row is missing: run the migration");
                }
                head = rs.getLong(1);
                now = context.dialect.readInstant(rs, 2);
            }
        }
        Map<String, Row> rows = new HashMap<>();
        try (NamedSql.Bound select = context.ops.readConsumers.prepare(connection);
                ResultSet rs = select.statement().executeQuery()) {
            while (rs.next()) {
                long blocked = rs.getLong(5);
                Long blockedSeq = rs.wasNull() ? null : blocked;
                rows.put(
                        rs.getString(1),
                        new Row(
                                rs.getLong(2),
                                rs.getString(3),
                                rs.getInt(4) == 1,
                                blockedSeq,
                                rs.getString(6),
                                instantOrNull(rs, 7),
                                instantOrNull(rs, 8)));
            }
        }
        Map<String, Long> parked = new HashMap<>();
        try (NamedSql.Bound select = context.ops.countParked.prepare(connection);
                ResultSet rs = select.statement().executeQuery()) {
            while (rs.next()) {
                parked.put(rs.getString(1), rs.getLong(2));
            }
        }
        List<String> names = new ArrayList<>(first);
        if (allRows) {
            rows.keySet().stream()
                    .filter(name -> !first.contains(name))
                    .sorted()
                    .forEach(names::add);
        }
        List<ConsumerStatus> statuses = new ArrayList<>(names.size());
        for (String name : names) {
            Row row = rows.get(name);
            long checkpoint = row == null ? 0 : row.checkpoint();
            long lagEvents = Math.max(0, head - checkpoint);
            Duration lag = lagEvents == 0 ? Duration.ZERO : age(connection, checkpoint + 1, now);
            statuses.add(new ConsumerStatus(
                    name,
                    registered.contains(name),
                    state(row),
                    row == null || !row.leaseLive() ? null : row.owner(),
                    checkpoint,
                    lagEvents,
                    lag,
                    row == null ? null : row.blockedSeq(),
                    row == null ? null : row.waitingSince(),
                    row == null ? null : row.lastError(),
                    row == null ? null : row.lastErrorAt(),
                    parked.getOrDefault(name, 0L)));
        }
        return statuses;
    }

    private static ConsumerStatus.State state(@Nullable Row row) {
        if (row == null || !row.leaseLive()) {
            return ConsumerStatus.State.STOPPED;
        }
        if (row.waitingSince() != null) {
            return ConsumerStatus.State.WAITING_FOR_DOWNSTREAM;
        }
        return row.blockedSeq() != null ? ConsumerStatus.State.BLOCKED : ConsumerStatus.State.RUNNING;
    }

    private @Nullable Instant instantOrNull(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column) == null ? null : context.dialect.readInstant(rs, column);
    }

    /** How long ago the entry at {@code seq} was sequenced; zero if it is not in the log. */
    private Duration age(Connection connection, long seq, Instant now) throws SQLException {
        try (NamedSql.Bound select = context.ops.readSequencedAt.prepare(connection)) {
            select.set("seq", seq);
            try (ResultSet rs = select.statement().executeQuery()) {
                if (!rs.next()) {
                    return Duration.ZERO;
                }
                Duration age = Duration.between(context.dialect.readInstant(rs, 1), now);
                return age.isNegative() ? Duration.ZERO : age;
            }
        }
    }
}
