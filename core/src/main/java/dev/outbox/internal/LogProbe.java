package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.CREATED_AT;
import static dev.outbox.internal.OutboxSql.NAME;
import static dev.outbox.internal.OutboxSql.NEXT_SEQ;
import static dev.outbox.internal.OutboxSql.POSITION;
import static dev.outbox.internal.OutboxSql.SEQ;
import static dev.outbox.internal.OutboxSql.SEQUENCED_AT;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.min;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.select;

import dev.outbox.OutboxException;
import dev.outbox.OutboxLog;
import dev.outbox.OutboxRecord;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jooq.Param;
import org.jspecify.annotations.Nullable;

/** {@link OutboxLog} on the relay's connections. Thread-safe. */
final class LogProbe implements OutboxLog {

    private final RelayContext context;
    private final Param<Integer> cap = param("cap", Integer.class);
    private final Param<OffsetDateTime> time = param("time", OffsetDateTime.class);
    private final Statement queued;
    private final Statement oldestQueued;
    private final Statement headSequencedAt;
    private final Statement firstSequencedAt;

    LogProbe(RelayContext context) {
        this.context = context;
        OutboxSql sql = context.sql;
        // a count of at most cap rows: the queue may hold millions after an outage
        queued = sql.render(select(count(), sql.now())
                .from(select(inline(1).as("one")).from(sql.event).limit(cap).asTable("waiting")));
        oldestQueued =
                sql.render(select(CREATED_AT).from(sql.event).orderBy(POSITION).limit(inline(1)));
        headSequencedAt = sql.render(select(SEQUENCED_AT)
                .from(sql.log)
                .where(SEQ.eq(select(NEXT_SEQ.minus(inline(1L)))
                        .from(sql.sequencer)
                        .where(NAME.eq(inline(OutboxSql.SEQUENCER_NAME))))));
        firstSequencedAt = sql.render(select(min(SEQ)).from(sql.log).where(SEQUENCED_AT.ge(time)));
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(queued, oldestQueued, headSequencedAt, firstSequencedAt);
    }

    @Override
    public long head() {
        return read("the log's head", context.consumers::head);
    }

    @Override
    public long lowestRetained() {
        return read("the log's lowest seq", connection -> {
            long lowest = context.consumers.lowestRetainedSeq(connection);
            return lowest == Long.MAX_VALUE ? context.consumers.head(connection) + 1 : lowest;
        });
    }

    @Override
    public List<OutboxRecord> read(long fromSeq, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        return read("the log", connection -> context.consumers.readLog(connection, Math.max(0, fromSeq - 1), limit));
    }

    @Override
    public Optional<OutboxRecord> entry(long seq) {
        return read(seq, 1).stream().filter(entry -> entry.seq() == seq).findFirst();
    }

    @Override
    public long firstSeqSequencedAtOrAfter(Instant at) {
        return read("the log's times", connection -> {
            try (Statement.Bound select = firstSequencedAt.bind(connection).setInstant(time, at);
                    ResultSet rs = select.executeQuery()) {
                rs.next();
                long first = rs.getLong(1);
                return rs.wasNull() ? context.consumers.head(connection) + 1 : first;
            }
        });
    }

    @Override
    public Queue queue(int countUpTo) {
        if (countUpTo < 1) {
            throw new IllegalArgumentException("countUpTo must be >= 1, was " + countUpTo);
        }
        return read("the queue", connection -> {
            long waiting;
            Instant now;
            try (Statement.Bound select = queued.bind(connection).setInt(cap, countUpTo);
                    ResultSet rs = select.executeQuery()) {
                rs.next();
                waiting = rs.getLong(1);
                now = context.dialect.readInstant(rs, 2);
            }
            return new Queue(
                    waiting,
                    waiting >= countUpTo,
                    age(connection, oldestQueued, now),
                    age(connection, headSequencedAt, now),
                    now);
        });
    }

    private @Nullable Duration age(Connection connection, Statement statement, Instant now) throws SQLException {
        try (Statement.Bound select = statement.bind(connection);
                ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            Instant at = context.dialect.readInstant(rs, 1);
            Duration age = Duration.between(at, now);
            return age.isNegative() ? Duration.ZERO : age; // clocks of two sessions, a little apart
        }
    }

    private <T> T read(String what, RelayContext.Work<T> work) {
        try {
            return context.withConnection(work);
        } catch (SQLException e) {
            throw new OutboxException(
                    "reading " + what + " failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
        }
    }
}
