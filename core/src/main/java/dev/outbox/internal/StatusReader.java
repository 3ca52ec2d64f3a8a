package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.BLOCKED_SEQ;
import static dev.outbox.internal.OutboxSql.CHECKPOINT_SEQ;
import static dev.outbox.internal.OutboxSql.CONSUMER;
import static dev.outbox.internal.OutboxSql.LAST_ERROR;
import static dev.outbox.internal.OutboxSql.LAST_ERROR_AT;
import static dev.outbox.internal.OutboxSql.LEASE_UNTIL;
import static dev.outbox.internal.OutboxSql.NAME;
import static dev.outbox.internal.OutboxSql.NEXT_SEQ;
import static dev.outbox.internal.OutboxSql.OWNER;
import static dev.outbox.internal.OutboxSql.SEQ;
import static dev.outbox.internal.OutboxSql.SEQUENCED_AT;
import static dev.outbox.internal.OutboxSql.STATUS;
import static dev.outbox.internal.OutboxSql.WAITING_SINCE;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.when;

import dev.outbox.ConsumerStatus;
import dev.outbox.DeadLetter;
import dev.outbox.OutboxException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jooq.Field;
import org.jooq.Param;
import org.jspecify.annotations.Nullable;

/**
 * Reads {@link ConsumerStatus} from the tables, whichever relay runs each consumer: the head of the
 * log and the database's time, every consumer row, the parked counts, and the age of each lagging
 * consumer's oldest undelivered entry. Its statements are rendered once per relay.
 */
final class StatusReader {

    private final RelayContext context;
    private final Param<Long> seq = param("seq", Long.class);
    private final Statement headAndNow;
    private final Statement consumers;
    private final Statement parkedCounts;
    private final Statement sequencedAt;

    StatusReader(RelayContext context) {
        this.context = context;
        OutboxSql sql = context.sql;
        Field<OffsetDateTime> now = sql.now();
        headAndNow = sql.render(select(NEXT_SEQ.minus(inline(1L)), now)
                .from(sql.sequencer)
                .where(NAME.eq(inline(OutboxSql.SEQUENCER_NAME))));
        Field<Integer> leaseLive =
                when(OWNER.isNotNull().and(LEASE_UNTIL.ge(now)), inline(1)).otherwise(inline(0));
        consumers = sql.render(
                select(NAME, CHECKPOINT_SEQ, OWNER, leaseLive, BLOCKED_SEQ, LAST_ERROR, LAST_ERROR_AT, WAITING_SINCE)
                        .from(sql.consumer));
        parkedCounts = sql.render(select(CONSUMER, count())
                .from(sql.deadLetter)
                .where(STATUS.ne(inline(DeadLetter.Status.DISCARDED.name())))
                .groupBy(CONSUMER));
        sequencedAt = sql.render(select(SEQUENCED_AT).from(sql.log).where(SEQ.eq(seq)));
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(headAndNow, consumers, parkedCounts, sequencedAt);
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
        try (Statement.Bound select = headAndNow.bind(connection);
                ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("the sequencer row is missing: run the migration");
            }
            head = rs.getLong(1);
            now = context.dialect.readInstant(rs, 2);
        }
        Map<String, Row> rows = new HashMap<>();
        try (Statement.Bound select = consumers.bind(connection);
                ResultSet rs = select.executeQuery()) {
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
        try (Statement.Bound select = parkedCounts.bind(connection);
                ResultSet rs = select.executeQuery()) {
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
    private Duration age(Connection connection, long entry, Instant now) throws SQLException {
        try (Statement.Bound select = sequencedAt.bind(connection).setLong(seq, entry);
                ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
                return Duration.ZERO;
            }
            Duration age = Duration.between(context.dialect.readInstant(rs, 1), now);
            return age.isNegative() ? Duration.ZERO : age;
        }
    }
}
