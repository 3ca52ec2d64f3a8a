package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.AGGREGATE_ID;
import static dev.outbox.internal.OutboxSql.AGGREGATE_TYPE;
import static dev.outbox.internal.OutboxSql.ATTEMPTS;
import static dev.outbox.internal.OutboxSql.CONSUMER;
import static dev.outbox.internal.OutboxSql.CREATED_AT;
import static dev.outbox.internal.OutboxSql.DISCARDED_AT;
import static dev.outbox.internal.OutboxSql.DISCARD_REASON;
import static dev.outbox.internal.OutboxSql.ERROR_CLASS;
import static dev.outbox.internal.OutboxSql.ERROR_MESSAGE;
import static dev.outbox.internal.OutboxSql.EVENT_ID;
import static dev.outbox.internal.OutboxSql.EVENT_TYPE;
import static dev.outbox.internal.OutboxSql.FIRST_FAILED_AT;
import static dev.outbox.internal.OutboxSql.HEADERS;
import static dev.outbox.internal.OutboxSql.LAST_FAILED_AT;
import static dev.outbox.internal.OutboxSql.NULL_STRING;
import static dev.outbox.internal.OutboxSql.NULL_TIME;
import static dev.outbox.internal.OutboxSql.PARTITION_NO;
import static dev.outbox.internal.OutboxSql.PAYLOAD;
import static dev.outbox.internal.OutboxSql.SEQ;
import static dev.outbox.internal.OutboxSql.SEQUENCED_AT;
import static dev.outbox.internal.OutboxSql.STACK_HEAD;
import static dev.outbox.internal.OutboxSql.STATUS;
import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.deleteFrom;
import static org.jooq.impl.DSL.excluded;
import static org.jooq.impl.DSL.exists;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.insertInto;
import static org.jooq.impl.DSL.min;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.selectDistinct;
import static org.jooq.impl.DSL.selectOne;
import static org.jooq.impl.DSL.update;
import static org.jooq.impl.DSL.when;

import dev.outbox.DeadLetter;
import dev.outbox.OutboxRecord;
import dev.outbox.spi.OutboxDialect;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jooq.Field;
import org.jooq.Param;
import org.jooq.Record;
import org.jooq.Table;
import org.jspecify.annotations.Nullable;

/**
 * The dead-letter table's statements, each built, bound and run in one method: parking an entry of
 * the log (with a copy of the event, so that retention never waits for a decision), the operator's
 * marks (re-drive, discard), and what the consumer loop reads and writes when it re-drives. The
 * {@code status} column holds the names of {@link DeadLetter.Status}. Rendered once per relay.
 * Thread-safe; the methods run on the caller's connection.
 */
final class DeadLetterSql {

    /** Why an entry is parked: the handler's failure, or an earlier parked event of its key. */
    record Parking(
            @Nullable String errorClass,
            String message,
            @Nullable String stackHead,
            int attempts,
            Instant firstFailedAt,
            Instant lastFailedAt) {

        /** Parked after {@code attempts} failed attempts, the last one with {@code failure}. */
        static Parking failed(Throwable failure, int attempts, Instant firstFailedAt, Instant lastFailedAt) {
            return new Parking(
                    failure.getClass().getName(),
                    ErrorText.truncate(String.valueOf(failure.getMessage())),
                    ErrorText.stackHead(failure),
                    attempts,
                    firstFailedAt,
                    lastFailedAt);
        }

        /** Parked behind an earlier parked event of {@code key}, without a delivery. */
        static Parking behindKey(String key, Instant now) {
            return new Parking(null, "parked behind an earlier parked event of key '" + key + "'", null, 0, now, now);
        }
    }

    /** The columns of a dead letter in the statements that read them: seq, the event's, the letter's. */
    private static final int LETTER_COLUMNS = 16;

    private static final String PARKED = DeadLetter.Status.PARKED.name();
    private static final String REDRIVE_REQUESTED = DeadLetter.Status.REDRIVE_REQUESTED.name();
    private static final String REDRIVING = DeadLetter.Status.REDRIVING.name();
    private static final String DISCARDED = DeadLetter.Status.DISCARDED.name();

    private final OutboxDialect dialect;
    private static final Param<String> CONSUMER_PARAM = param("consumer", String.class);
    private static final Param<Long> SEQ_PARAM = param("seq", Long.class);

    private final Param<String> consumer = CONSUMER_PARAM;
    private final Param<Long> seq = SEQ_PARAM;
    private final Param<Integer> partitionNo = param("partition_no", Integer.class);
    private final Param<String> aggregateId = param("aggregate_id", String.class);
    private final Param<String> status = param("status", String.class);
    private final Param<String> errorClass = param("error_class", String.class);
    private final Param<String> errorMessage = param("error_message", String.class);
    private final Param<String> stackHead = param("stack_head", String.class);
    private final Param<Integer> attempts = param("attempts", Integer.class);
    private final Param<OffsetDateTime> firstFailedAt = param("first_failed_at", OffsetDateTime.class);
    private final Param<OffsetDateTime> lastFailedAt = param("last_failed_at", OffsetDateTime.class);
    private final Param<String> reason = param("reason", String.class);
    private final Param<Integer> batch = param("batch", Integer.class);
    private final Param<Long> cursor = param("cursor", Long.class);

    private final Statement parkFromLog;
    private final Statement list;
    private final Statement listPage;
    private final Statement requestRedrive;
    private final Statement requestRedriveAll;
    private final Statement discard;
    private final Statement countRedriving;
    private final Statement parkedKeys;
    private final Statement redriveWindow;
    private final Statement redriveWindowInKeyOrder;
    private final Statement keyHasLetters;
    private final Statement claimRedrive;
    private final Statement releaseRedrive;
    private final Statement deleteRedriven;
    private final Statement failRedrive;
    private final Statement requestBehindKey;
    private final Statement keyTail;

    DeadLetterSql(OutboxSql sql) {
        this.dialect = sql.dialect();
        Table<Record> deadLetter = sql.deadLetter;
        List<Field<?>> eventColumns =
                List.of(EVENT_ID, AGGREGATE_TYPE, AGGREGATE_ID, EVENT_TYPE, PAYLOAD, HEADERS, CREATED_AT, SEQUENCED_AT);

        // Copies the event from the log (so retention may delete the log row) with the error. The
        // same (consumer, seq) can be parked again after a replay: then the row is parked anew.
        List<Field<?>> parkedColumns = new ArrayList<>(List.of(CONSUMER, PARTITION_NO, SEQ));
        parkedColumns.addAll(eventColumns);
        parkedColumns.addAll(
                List.of(STATUS, ERROR_CLASS, ERROR_MESSAGE, STACK_HEAD, ATTEMPTS, FIRST_FAILED_AT, LAST_FAILED_AT));
        List<Field<?>> parkedValues = new ArrayList<>(List.of(consumer, partitionNo, SEQ));
        parkedValues.addAll(eventColumns);
        parkedValues.addAll(
                List.of(inline(PARKED), errorClass, errorMessage, stackHead, attempts, firstFailedAt, lastFailedAt));
        parkFromLog = sql.render(insertInto(deadLetter, parkedColumns)
                .select(select(parkedValues).from(sql.log).where(SEQ.eq(seq)))
                .onConflict(CONSUMER, SEQ)
                .doUpdate()
                .set(STATUS, inline(PARKED))
                .set(ERROR_CLASS, excluded(ERROR_CLASS))
                .set(ERROR_MESSAGE, excluded(ERROR_MESSAGE))
                .set(STACK_HEAD, excluded(STACK_HEAD))
                .set(ATTEMPTS, excluded(ATTEMPTS))
                .set(FIRST_FAILED_AT, excluded(FIRST_FAILED_AT))
                .set(LAST_FAILED_AT, excluded(LAST_FAILED_AT))
                .set(DISCARD_REASON, NULL_STRING)
                .set(DISCARDED_AT, NULL_TIME));

        List<Field<?>> letterColumns = new ArrayList<>(List.of(SEQ));
        letterColumns.addAll(eventColumns);
        letterColumns.addAll(
                List.of(STATUS, ERROR_CLASS, ERROR_MESSAGE, STACK_HEAD, ATTEMPTS, FIRST_FAILED_AT, LAST_FAILED_AT));
        list = sql.render(select(letterColumns)
                .from(deadLetter)
                .where(CONSUMER.eq(consumer))
                .and(STATUS.ne(inline(DISCARDED)))
                .orderBy(SEQ));

        listPage = sql.render(select(letterColumns)
                .from(deadLetter)
                .where(CONSUMER.eq(consumer))
                .and(STATUS.ne(inline(DISCARDED)))
                .and(SEQ.gt(seq))
                .orderBy(SEQ)
                .limit(batch));

        requestRedrive = sql.render(update(deadLetter)
                .set(STATUS, inline(REDRIVE_REQUESTED))
                .where(CONSUMER.eq(consumer))
                .and(SEQ.eq(seq))
                .and(STATUS.eq(inline(PARKED))));

        requestRedriveAll = sql.render(update(deadLetter)
                .set(STATUS, inline(REDRIVE_REQUESTED))
                .where(CONSUMER.eq(consumer))
                .and(STATUS.eq(inline(PARKED))));

        discard = sql.render(update(deadLetter)
                .set(STATUS, inline(DISCARDED))
                .set(DISCARD_REASON, reason)
                .set(DISCARDED_AT, sql.now())
                .where(CONSUMER.eq(consumer))
                .and(SEQ.eq(seq))
                .and(STATUS.in(inline(PARKED), inline(REDRIVE_REQUESTED))));

        countRedriving = sql.render(select(count())
                .from(deadLetter)
                .where(CONSUMER.eq(consumer))
                .and(SEQ.eq(seq))
                .and(STATUS.eq(inline(REDRIVING))));

        parkedKeys = sql.render(selectDistinct(AGGREGATE_ID)
                .from(deadLetter)
                .where(CONSUMER.eq(consumer))
                .and(PARTITION_NO.eq(partitionNo))
                .and(STATUS.ne(inline(DISCARDED))));

        // The window of a re-drive pass: the next requests of one status after a cursor, which the
        // re-drive moves forward pass by pass and back to the start at the end: a range of the index
        // (consumer, status, seq), whatever the number of other dead letters. Read for
        // REDRIVE_REQUESTED and for REDRIVING (a row left so by a relay that died during the
        // delivery is delivered again: at least once) and merged: one statement for both would sort
        // every request of the consumer.
        Table<Record> request = select(letterColumns)
                .from(deadLetter)
                .where(CONSUMER.eq(consumer))
                .and(PARTITION_NO.eq(partitionNo))
                .and(STATUS.eq(status))
                .and(SEQ.gt(cursor))
                .orderBy(SEQ)
                .limit(batch)
                .asTable("request");
        Field<String> requestKey = request.field(AGGREGATE_ID);
        Field<Long> requestSeq = request.field(SEQ);
        redriveWindow = sql.render(
                select(request.fields()).select(inline(0)).from(request).orderBy(requestSeq));

        // PARK_KEY: a request waits while an earlier event of its key is parked and not asked for,
        // or open at or before the cursor (asked for, it is served when the window comes round to
        // it). The window marks those, so that they never hold back the rest; each look-up is a
        // range of the index (consumer, aggregate_id, status, seq), two probes per request of the
        // window (one condition with OR would read every earlier letter of the key), so a pass
        // costs its window whatever waits after it.
        redriveWindowInKeyOrder = sql.render(select(request.fields())
                .select(when(
                                exists(selectOne()
                                                .from(deadLetter)
                                                .where(CONSUMER.eq(consumer))
                                                .and(AGGREGATE_ID.eq(requestKey))
                                                .and(STATUS.eq(inline(PARKED)))
                                                .and(SEQ.lt(requestSeq)))
                                        .or(exists(selectOne()
                                                .from(deadLetter)
                                                .where(CONSUMER.eq(consumer))
                                                .and(AGGREGATE_ID.eq(requestKey))
                                                .and(STATUS.in(inline(REDRIVE_REQUESTED), inline(REDRIVING)))
                                                .and(SEQ.le(cursor)))),
                                inline(1))
                        .otherwise(inline(0)))
                .from(request)
                .orderBy(requestSeq));

        keyHasLetters = sql.render(selectOne()
                .from(deadLetter)
                .where(CONSUMER.eq(consumer))
                .and(AGGREGATE_ID.eq(aggregateId))
                .and(STATUS.ne(inline(DISCARDED)))
                .limit(inline(1)));

        // Taken by the consumer's thread right before it delivers a re-drive: from then on a discard
        // is refused, so an event is never both delivered and discarded.
        claimRedrive = sql.render(update(deadLetter)
                .set(STATUS, inline(REDRIVING))
                .where(CONSUMER.eq(consumer))
                .and(SEQ.eq(seq))
                .and(STATUS.in(inline(REDRIVE_REQUESTED), inline(REDRIVING))));

        releaseRedrive = sql.render(update(deadLetter)
                .set(STATUS, inline(REDRIVE_REQUESTED))
                .where(CONSUMER.eq(consumer))
                .and(SEQ.eq(seq))
                .and(STATUS.eq(inline(REDRIVING))));

        deleteRedriven = sql.render(deleteFrom(deadLetter)
                .where(CONSUMER.eq(consumer))
                .and(SEQ.eq(seq))
                .and(STATUS.eq(inline(REDRIVING))));

        failRedrive = sql.render(update(deadLetter)
                .set(STATUS, inline(PARKED))
                .set(ATTEMPTS, ATTEMPTS.plus(attempts))
                .set(ERROR_CLASS, errorClass)
                .set(ERROR_MESSAGE, errorMessage)
                .set(STACK_HEAD, stackHead)
                .set(LAST_FAILED_AT, lastFailedAt)
                .where(CONSUMER.eq(consumer))
                .and(SEQ.eq(seq))
                .and(STATUS.ne(inline(DISCARDED))));

        // Parked behind its key (no handler ever failed on it: no error class).
        requestBehindKey = sql.render(update(deadLetter)
                .set(STATUS, inline(REDRIVE_REQUESTED))
                .where(CONSUMER.eq(consumer))
                .and(AGGREGATE_ID.eq(aggregateId))
                .and(SEQ.gt(seq))
                .and(STATUS.eq(inline(PARKED)))
                .and(ERROR_CLASS.isNull()));

        // PARK_KEY: the requests of one key after a seq, in seq order, before its first letter after
        // that seq that is parked (a failure not asked for) or in delivery: what a re-drive may
        // deliver next of a key whose letters up to the seq were delivered. Ranges of the index
        // (consumer, aggregate_id, status, seq), however many letters other keys have.
        Field<Long> firstHeldBack = select(min(SEQ))
                .from(deadLetter)
                .where(CONSUMER.eq(consumer))
                .and(AGGREGATE_ID.eq(aggregateId))
                .and(STATUS.in(inline(PARKED), inline(REDRIVING)))
                .and(SEQ.gt(seq))
                .asField();
        keyTail = sql.render(select(letterColumns)
                .from(deadLetter)
                .where(CONSUMER.eq(consumer))
                .and(AGGREGATE_ID.eq(aggregateId))
                .and(STATUS.eq(inline(REDRIVE_REQUESTED)))
                .and(SEQ.gt(seq))
                .and(SEQ.lt(coalesce(firstHeldBack, inline(Long.MAX_VALUE))))
                .orderBy(SEQ)
                .limit(batch));
    }

    /** Parks the log entry at {@code entry} for {@code name}; false if the log has no such entry. */
    boolean park(Connection connection, Partition part, long entry, Parking parking) throws SQLException {
        try (Statement.Bound insert = parkFromLog
                .bind(connection)
                .setString(consumer, part.consumer())
                .setInt(partitionNo, part.number())
                .setLong(seq, entry)
                .setString(errorClass, parking.errorClass())
                .setString(errorMessage, parking.message())
                .setString(stackHead, parking.stackHead())
                .setInt(attempts, parking.attempts())
                .setInstant(firstFailedAt, parking.firstFailedAt())
                .setInstant(lastFailedAt, parking.lastFailedAt())) {
            return insert.executeUpdate() == 1;
        }
    }

    /** The dead letters of {@code name} that are not discarded, in seq order. */
    List<DeadLetter> list(Connection connection, String name) throws SQLException {
        try (Statement.Bound select = list.bind(connection).setString(consumer, name)) {
            return read(name, select);
        }
    }

    /** At most {@code limit} of {@link #list}, after {@code afterSeq}. */
    List<DeadLetter> list(Connection connection, String name, long afterSeq, int limit) throws SQLException {
        try (Statement.Bound select = listPage.bind(connection)
                .setString(consumer, name)
                .setLong(seq, afterSeq)
                .setInt(batch, limit)) {
            return read(name, select);
        }
    }

    /** Marks a parked event for re-drive; rows marked. */
    int requestRedrive(Connection connection, String name, long entry) throws SQLException {
        try (Statement.Bound update =
                requestRedrive.bind(connection).setString(consumer, name).setLong(seq, entry)) {
            return update.executeUpdate();
        }
    }

    /** Marks every parked event of {@code name} for re-drive; rows marked. */
    int requestRedriveAll(Connection connection, String name) throws SQLException {
        try (Statement.Bound update = requestRedriveAll.bind(connection).setString(consumer, name)) {
            return update.executeUpdate();
        }
    }

    /** Discards a parked event or one waiting for re-drive; rows discarded. */
    int discard(Connection connection, String name, long entry, String why) throws SQLException {
        try (Statement.Bound update = discard.bind(connection)
                .setString(consumer, name)
                .setLong(seq, entry)
                .setString(reason, why)) {
            return update.executeUpdate();
        }
    }

    /** Whether the dead letter at {@code entry} is being re-driven now. */
    boolean isRedriving(Connection connection, String name, long entry) throws SQLException {
        try (Statement.Bound select = countRedriving
                        .bind(connection)
                        .setString(consumer, name)
                        .setLong(seq, entry);
                ResultSet rs = select.executeQuery()) {
            return rs.next() && rs.getLong(1) > 0;
        }
    }

    /** The keys of {@code part} with dead letters that are not discarded. */
    Set<String> parkedKeys(Connection connection, Partition part) throws SQLException {
        Set<String> keys = new HashSet<>();
        try (Statement.Bound select = parkedKeys
                        .bind(connection)
                        .setString(consumer, part.consumer())
                        .setInt(partitionNo, part.number());
                ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        }
        return keys;
    }

    /** Whether {@code key} has a dead letter of {@code name} that is not discarded. */
    boolean keyHasLetters(Connection connection, String name, String key) throws SQLException {
        try (Statement.Bound select =
                        keyHasLetters.bind(connection).setString(consumer, name).setString(aggregateId, key);
                ResultSet rs = select.executeQuery()) {
            return rs.next();
        }
    }

    /**
     * A window of re-drive requests: the next {@code limit} dead letters after {@code afterSeq}
     * waiting for re-drive (or left being re-driven), in seq order, and which of them may be
     * delivered now: all of them, except with {@code inKeyOrder} ({@link
     * dev.outbox.FailurePolicy#PARK_KEY}) those that have an earlier event of their key parked and
     * not asked for, or open at or before {@code afterSeq}.
     */
    RedriveWindow redriveWindow(Connection connection, Partition part, long afterSeq, int limit, boolean inKeyOrder)
            throws SQLException {
        String name = part.consumer();
        Statement window = inKeyOrder ? redriveWindowInKeyOrder : redriveWindow;
        record Candidate(DeadLetter letter, boolean waits) {}
        List<Candidate> candidates = new ArrayList<>();
        for (String requested : List.of(REDRIVING, REDRIVE_REQUESTED)) {
            try (Statement.Bound select = window.bind(connection)
                            .setString(consumer, name)
                            .setInt(partitionNo, part.number())
                            .setString(status, requested)
                            .setLong(cursor, afterSeq)
                            .setInt(batch, limit);
                    ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    candidates.add(new Candidate(readLetter(name, rs), rs.getInt(LETTER_COLUMNS + 1) == 1));
                }
            }
        }
        candidates.sort(Comparator.comparingLong(
                candidate -> candidate.letter().record().seq()));
        List<Candidate> kept = candidates.size() > limit ? candidates.subList(0, limit) : candidates;
        List<DeadLetter> eligible = new ArrayList<>();
        for (Candidate candidate : kept) {
            if (!candidate.waits()) {
                eligible.add(candidate.letter());
            }
        }
        long lastSeq = kept.isEmpty()
                ? afterSeq
                : kept.get(kept.size() - 1).letter().record().seq();
        return new RedriveWindow(List.copyOf(eligible), kept.size() == limit, lastSeq);
    }

    /**
     * A window of re-drive requests: those to deliver now, whether the window was full (more
     * requests may follow it), and the seq of its last request.
     */
    record RedriveWindow(List<DeadLetter> eligible, boolean full, long lastSeq) {}

    /** Claims {@code letters} for re-drive, in one round trip; returns those claimed, in order. */
    List<DeadLetter> claimRedrive(Connection connection, String name, List<DeadLetter> letters) throws SQLException {
        int[] claimed = forEach(claimRedrive, connection, name, letters);
        List<DeadLetter> result = new ArrayList<>(letters.size());
        for (int i = 0; i < letters.size(); i++) {
            if (claimed[i] == 1) {
                result.add(letters.get(i));
            }
        }
        return result;
    }

    /** Puts claimed letters back in the re-drive queue. */
    void releaseRedrive(Connection connection, String name, List<DeadLetter> letters) throws SQLException {
        forEach(releaseRedrive, connection, name, letters);
    }

    /** Removes claimed letters that were delivered. */
    void deleteRedriven(Connection connection, String name, List<DeadLetter> letters) throws SQLException {
        forEach(deleteRedriven, connection, name, letters);
    }

    /** Runs a statement of (consumer, seq) for each letter, as one JDBC batch; the update counts. */
    private static int[] forEach(Statement statement, Connection connection, String name, List<DeadLetter> letters)
            throws SQLException {
        if (letters.isEmpty()) {
            return new int[0];
        }
        try (Statement.Bound batch = statement.bind(connection)) {
            for (DeadLetter letter : letters) {
                batch.setString(CONSUMER_PARAM, name)
                        .setLong(SEQ_PARAM, letter.record().seq());
                batch.statement().addBatch();
            }
            int[] counts = batch.statement().executeBatch();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] == java.sql.Statement.SUCCESS_NO_INFO) {
                    throw new SQLException("the driver did not say which dead letters were claimed");
                }
            }
            return counts;
        }
    }

    /**
     * Asks for the re-drive of the events of {@code key} parked behind it after {@code entry}, the
     * ones no handler failed on: once a key's re-drive delivered what was asked, what was parked
     * behind it meanwhile follows, so that the key flows again. Returns how many were asked for.
     */
    int requestBehindKey(Connection connection, String name, String key, long entry) throws SQLException {
        try (Statement.Bound update = requestBehindKey
                .bind(connection)
                .setString(consumer, name)
                .setString(aggregateId, key)
                .setLong(seq, entry)) {
            return update.executeUpdate();
        }
    }

    /**
     * The next {@code limit} requests of {@code key} after {@code afterSeq}, in seq order, before
     * the key's first letter after it that is parked or in delivery.
     */
    List<DeadLetter> keyTail(Connection connection, String name, String key, long afterSeq, int limit)
            throws SQLException {
        try (Statement.Bound select = keyTail.bind(connection)
                .setString(consumer, name)
                .setString(aggregateId, key)
                .setLong(seq, afterSeq)
                .setInt(batch, limit)) {
            return read(name, select);
        }
    }

    /** Parks a dead letter again after its re-drive failed, its attempt count raised. */
    void failRedrive(
            Connection connection, String name, long entry, Throwable failure, int failedAttempts, Instant failedAt)
            throws SQLException {
        try (Statement.Bound update = failRedrive
                .bind(connection)
                .setString(consumer, name)
                .setLong(seq, entry)
                .setInt(attempts, failedAttempts)
                .setString(errorClass, failure.getClass().getName())
                .setString(errorMessage, ErrorText.truncate(String.valueOf(failure.getMessage())))
                .setString(stackHead, ErrorText.stackHead(failure))
                .setInstant(lastFailedAt, failedAt)) {
            update.executeUpdate();
        }
    }

    /** The statements, for rendering tests. */
    List<Statement> statements() {
        return List.of(
                parkFromLog,
                list,
                listPage,
                requestRedrive,
                requestRedriveAll,
                discard,
                countRedriving,
                parkedKeys,
                redriveWindow,
                redriveWindowInKeyOrder,
                keyHasLetters,
                keyTail,
                claimRedrive,
                releaseRedrive,
                deleteRedriven,
                failRedrive,
                requestBehindKey);
    }

    private List<DeadLetter> read(String name, Statement.Bound select) throws SQLException {
        List<DeadLetter> deadLetters = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                deadLetters.add(readLetter(name, rs));
            }
        }
        return deadLetters;
    }

    /** The dead letter at the current row, from its first {@link #LETTER_COLUMNS} columns. */
    private DeadLetter readLetter(String name, ResultSet rs) throws SQLException {
        OutboxRecord record = ConsumerSql.readRecord(rs, dialect);
        return new DeadLetter(
                name,
                record,
                DeadLetter.Status.valueOf(rs.getString(10)),
                rs.getString(11),
                rs.getString(12),
                rs.getString(13),
                rs.getInt(14),
                dialect.readInstant(rs, 15),
                dialect.readInstant(rs, 16));
    }
}
