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
import static dev.outbox.internal.OutboxSql.PARTITION_NO;
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
import dev.outbox.PartitionStatus;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
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
        consumers = sql.render(select(
                        NAME,
                        CHECKPOINT_SEQ,
                        OWNER,
                        leaseLive,
                        BLOCKED_SEQ,
                        LAST_ERROR,
                        LAST_ERROR_AT,
                        WAITING_SINCE,
                        PARTITION_NO)
                .from(sql.consumer)
                .orderBy(NAME, PARTITION_NO));
        parkedCounts = sql.render(select(CONSUMER, PARTITION_NO, count())
                .from(sql.deadLetter)
                .where(STATUS.ne(inline(DeadLetter.Status.DISCARDED.name())))
                .groupBy(CONSUMER, PARTITION_NO));
        sequencedAt = sql.render(select(SEQUENCED_AT).from(sql.log).where(SEQ.eq(seq)));
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(headAndNow, consumers, parkedCounts, sequencedAt);
    }

    private record Row(
            int partition,
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
        Map<String, List<Row>> rows = new HashMap<>();
        try (Statement.Bound select = consumers.bind(connection);
                ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                long blocked = rs.getLong(5);
                Long blockedSeq = rs.wasNull() ? null : blocked;
                rows.computeIfAbsent(rs.getString(1), name -> new ArrayList<>())
                        .add(new Row(
                                rs.getInt(9),
                                rs.getLong(2),
                                rs.getString(3),
                                rs.getInt(4) == 1,
                                blockedSeq,
                                rs.getString(6),
                                instantOrNull(rs, 7),
                                instantOrNull(rs, 8)));
            }
        }
        Map<String, Map<Integer, Long>> parked = new HashMap<>();
        try (Statement.Bound select = parkedCounts.bind(connection);
                ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                parked.computeIfAbsent(rs.getString(1), name -> new HashMap<>()).put(rs.getInt(2), rs.getLong(3));
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
            Map<Integer, Long> parkedHere = parked.getOrDefault(name, Map.of());
            List<PartitionStatus> partitions = new ArrayList<>();
            for (Row row : rows.getOrDefault(name, List.of())) {
                partitions.add(
                        partitionStatus(connection, row, head, now, parkedHere.getOrDefault(row.partition(), 0L)));
            }
            statuses.add(rollUp(name, registered.contains(name), partitions, head, parkedHere));
        }
        return statuses;
    }

    private PartitionStatus partitionStatus(Connection connection, Row row, long head, Instant now, long parkedCount)
            throws SQLException {
        long lagEvents = Math.max(0, head - row.checkpoint());
        return new PartitionStatus(
                row.partition(),
                state(row),
                row.leaseLive() ? row.owner() : null,
                row.checkpoint(),
                lagEvents,
                lagEvents == 0 ? Duration.ZERO : age(connection, row.checkpoint() + 1, now),
                row.blockedSeq(),
                row.waitingSince(),
                row.lastError(),
                row.lastErrorAt(),
                parkedCount);
    }

    /** A consumer's status from its partitions' (none: a consumer without rows, at checkpoint 0). */
    private static ConsumerStatus rollUp(
            String name, boolean registered, List<PartitionStatus> partitions, long head, Map<Integer, Long> parked) {
        long parkedCount = parked.values().stream().mapToLong(Long::longValue).sum();
        if (partitions.isEmpty()) {
            return new ConsumerStatus(
                    name,
                    registered,
                    ConsumerStatus.State.STOPPED,
                    null,
                    0,
                    head,
                    Duration.ZERO,
                    null,
                    null,
                    null,
                    null,
                    parkedCount,
                    List.of());
        }
        PartitionStatus behind = partitions.stream()
                .min(Comparator.comparingLong(PartitionStatus::checkpoint))
                .orElseThrow();
        String owners = partitions.stream()
                .map(PartitionStatus::owner)
                .filter(Objects::nonNull)
                .distinct()
                .sorted()
                .collect(Collectors.joining(", "));
        PartitionStatus lastFailed = partitions.stream()
                .filter(p -> p.lastErrorAt() != null)
                .max(Comparator.comparing(PartitionStatus::lastErrorAt))
                .orElse(null);
        return new ConsumerStatus(
                name,
                registered,
                rolledUpState(partitions),
                owners.isEmpty() ? null : owners,
                behind.checkpoint(),
                behind.lagEvents(),
                partitions.stream()
                        .map(PartitionStatus::lag)
                        .max(Comparator.naturalOrder())
                        .orElseThrow(),
                partitions.stream()
                        .map(PartitionStatus::blockedAtSeq)
                        .filter(Objects::nonNull)
                        .findFirst()
                        .orElse(null),
                partitions.stream()
                        .map(PartitionStatus::waitingSince)
                        .filter(Objects::nonNull)
                        .min(Comparator.naturalOrder())
                        .orElse(null),
                lastFailed == null ? null : lastFailed.lastError(),
                lastFailed == null ? null : lastFailed.lastErrorAt(),
                parkedCount,
                partitions);
    }

    private static ConsumerStatus.State rolledUpState(List<PartitionStatus> partitions) {
        for (ConsumerStatus.State state : List.of(
                ConsumerStatus.State.BLOCKED,
                ConsumerStatus.State.WAITING_FOR_DOWNSTREAM,
                ConsumerStatus.State.RUNNING)) {
            if (partitions.stream().anyMatch(p -> p.state() == state)) {
                return state;
            }
        }
        return ConsumerStatus.State.STOPPED;
    }

    private static ConsumerStatus.State state(Row row) {
        if (!row.leaseLive()) {
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
