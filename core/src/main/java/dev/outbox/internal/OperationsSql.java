package dev.outbox.internal;

import static dev.outbox.internal.OutboxSql.AGGREGATE_ID;
import static dev.outbox.internal.OutboxSql.AGGREGATE_TYPE;
import static dev.outbox.internal.OutboxSql.ATTEMPTS;
import static dev.outbox.internal.OutboxSql.BLOCKED_SEQ;
import static dev.outbox.internal.OutboxSql.CHECKPOINT_SEQ;
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
import static dev.outbox.internal.OutboxSql.LAST_ERROR;
import static dev.outbox.internal.OutboxSql.LAST_ERROR_AT;
import static dev.outbox.internal.OutboxSql.LAST_FAILED_AT;
import static dev.outbox.internal.OutboxSql.LEASE_UNTIL;
import static dev.outbox.internal.OutboxSql.NAME;
import static dev.outbox.internal.OutboxSql.NEXT_SEQ;
import static dev.outbox.internal.OutboxSql.NULL_STRING;
import static dev.outbox.internal.OutboxSql.OWNER;
import static dev.outbox.internal.OutboxSql.PAYLOAD;
import static dev.outbox.internal.OutboxSql.SEQ;
import static dev.outbox.internal.OutboxSql.SEQUENCED_AT;
import static dev.outbox.internal.OutboxSql.STACK_HEAD;
import static dev.outbox.internal.OutboxSql.STATUS;
import static dev.outbox.internal.OutboxSql.WAITING_SINCE;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.excluded;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.param;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.selectDistinct;
import static org.jooq.impl.DSL.when;

import java.time.OffsetDateTime;
import java.util.List;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * Statements for operating consumers: dead letters, error state, status and log retention. Same
 * rendering rules as {@link OutboxSql}, whose columns they use.
 */
final class OperationsSql {

    static final String PARKED = "PARKED";
    static final String REDRIVE_REQUESTED = "REDRIVE_REQUESTED";
    static final String REDRIVING = "REDRIVING";
    static final String DISCARDED = "DISCARDED";

    // Dead letters
    final NamedSql parkFromLog;
    final NamedSql listDeadLetters;
    final NamedSql requestRedrive;
    final NamedSql requestRedriveAll;
    final NamedSql readRedriveRequests;
    final NamedSql firstParkedSeqOfKeys;
    final NamedSql claimRedrive;
    final NamedSql deleteRedriven;
    final NamedSql releaseRedrive;
    final NamedSql failRedrive;
    final NamedSql cancelLaterRedrivesOfKey;
    final NamedSql discard;
    final NamedSql countRedriving;
    final NamedSql parkedKeys;

    // Status and administration
    final NamedSql readConsumers;
    final NamedSql lockConsumerForDelete;
    final NamedSql deleteDeadLettersOfConsumer;
    final NamedSql deleteConsumer;
    final NamedSql readHeadAndNow;
    final NamedSql readSequencedAt;
    final NamedSql countParked;

    // Retention
    final NamedSql lowestCheckpoint;
    final NamedSql deleteRetained;

    OperationsSql(OutboxSql sql) {
        Table<Record> log = sql.logTable();
        Table<Record> consumer = sql.consumerTable();
        Table<Record> deadLetter = sql.deadLetterTable();
        Table<Record> sequencer = sql.sequencerTable();
        Field<OffsetDateTime> now = sql.dialect().currentTime().coerce(OffsetDateTime.class);
        Field<String> name = param("consumer", String.class);
        Field<Long> seq = param("seq", Long.class);
        Field<OffsetDateTime> firstFailedAt = param("first_failed_at", OffsetDateTime.class);
        Field<OffsetDateTime> lastFailedAt = param("last_failed_at", OffsetDateTime.class);
        List<Field<?>> eventColumns =
                List.of(EVENT_ID, AGGREGATE_TYPE, AGGREGATE_ID, EVENT_TYPE, PAYLOAD, HEADERS, CREATED_AT, SEQUENCED_AT);

        // Copies the event from the log (so retention may delete the log row) with the error. The
        // same (consumer, seq) can be parked again after a replay: then the row is parked anew.
        parkFromLog = sql.render(DSL.insertInto(
                        deadLetter,
                        List.of(
                                CONSUMER,
                                SEQ,
                                EVENT_ID,
                                AGGREGATE_TYPE,
                                AGGREGATE_ID,
                                EVENT_TYPE,
                                PAYLOAD,
                                HEADERS,
                                CREATED_AT,
                                SEQUENCED_AT,
                                STATUS,
                                ERROR_CLASS,
                                ERROR_MESSAGE,
                                STACK_HEAD,
                                ATTEMPTS,
                                FIRST_FAILED_AT,
                                LAST_FAILED_AT))
                .select(select(
                                name,
                                SEQ,
                                EVENT_ID,
                                AGGREGATE_TYPE,
                                AGGREGATE_ID,
                                EVENT_TYPE,
                                PAYLOAD,
                                HEADERS,
                                CREATED_AT,
                                SEQUENCED_AT,
                                inline(PARKED),
                                param("error_class", String.class),
                                param("error_message", String.class),
                                param("stack_head", String.class),
                                param("attempts", Integer.class),
                                firstFailedAt,
                                lastFailedAt)
                        .from(log)
                        .where(SEQ.eq(seq)))
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
                .set(DISCARDED_AT, OutboxSql.NULL_TIME));

        List<Field<?>> deadLetterColumns = new java.util.ArrayList<>(List.of(SEQ));
        deadLetterColumns.addAll(eventColumns);
        deadLetterColumns.addAll(
                List.of(STATUS, ERROR_CLASS, ERROR_MESSAGE, STACK_HEAD, ATTEMPTS, FIRST_FAILED_AT, LAST_FAILED_AT));
        listDeadLetters = sql.render(select(deadLetterColumns)
                .from(deadLetter)
                .where(CONSUMER.eq(name))
                .and(STATUS.ne(inline(DISCARDED)))
                .orderBy(SEQ));

        requestRedrive = sql.render(DSL.update(deadLetter)
                .set(STATUS, inline(REDRIVE_REQUESTED))
                .where(CONSUMER.eq(name))
                .and(SEQ.eq(seq))
                .and(STATUS.eq(inline(PARKED))));

        requestRedriveAll = sql.render(DSL.update(deadLetter)
                .set(STATUS, inline(REDRIVE_REQUESTED))
                .where(CONSUMER.eq(name))
                .and(STATUS.eq(inline(PARKED))));

        // Uses the unique index (consumer, seq). A row left REDRIVING by a relay that died during
        // the delivery is delivered again (at least once).
        readRedriveRequests = sql.render(select(deadLetterColumns)
                .from(deadLetter)
                .where(CONSUMER.eq(name))
                .and(STATUS.in(inline(REDRIVE_REQUESTED), inline(REDRIVING)))
                .orderBy(SEQ)
                .limit(param("batch", Integer.class)));

        // PARK_KEY: a re-drive of an event waits while an earlier event of its key is parked.
        firstParkedSeqOfKeys = sql.render(select(AGGREGATE_ID, DSL.min(SEQ))
                .from(deadLetter)
                .where(CONSUMER.eq(name))
                .and(STATUS.eq(inline(PARKED)))
                .groupBy(AGGREGATE_ID));

        // Taken by the consumer's thread right before it delivers a re-drive: from then on a discard
        // is refused, so an event is never both delivered and discarded.
        claimRedrive = sql.render(DSL.update(deadLetter)
                .set(STATUS, inline(REDRIVING))
                .where(CONSUMER.eq(name))
                .and(SEQ.eq(seq))
                .and(STATUS.in(inline(REDRIVE_REQUESTED), inline(REDRIVING))));

        deleteRedriven = sql.render(DSL.deleteFrom(deadLetter)
                .where(CONSUMER.eq(name))
                .and(SEQ.eq(seq))
                .and(STATUS.eq(inline(REDRIVING))));

        releaseRedrive = sql.render(DSL.update(deadLetter)
                .set(STATUS, inline(REDRIVE_REQUESTED))
                .where(CONSUMER.eq(name))
                .and(SEQ.eq(seq))
                .and(STATUS.eq(inline(REDRIVING))));

        failRedrive = sql.render(DSL.update(deadLetter)
                .set(STATUS, inline(PARKED))
                .set(ATTEMPTS, ATTEMPTS.plus(inline(1)))
                .set(ERROR_CLASS, param("error_class", String.class))
                .set(ERROR_MESSAGE, param("error_message", String.class))
                .set(STACK_HEAD, param("stack_head", String.class))
                .set(LAST_FAILED_AT, lastFailedAt)
                .where(CONSUMER.eq(name))
                .and(SEQ.eq(seq))
                .and(STATUS.ne(inline(DISCARDED))));

        // PARK_KEY: a re-drive that fails stops its key's re-drive there; the later events stay parked.
        cancelLaterRedrivesOfKey = sql.render(DSL.update(deadLetter)
                .set(STATUS, inline(PARKED))
                .where(CONSUMER.eq(name))
                .and(AGGREGATE_ID.eq(param("aggregate_id", String.class)))
                .and(SEQ.gt(seq))
                .and(STATUS.in(inline(REDRIVE_REQUESTED), inline(REDRIVING))));

        discard = sql.render(DSL.update(deadLetter)
                .set(STATUS, inline(DISCARDED))
                .set(DISCARD_REASON, param("reason", String.class))
                .set(DISCARDED_AT, now)
                .where(CONSUMER.eq(name))
                .and(SEQ.eq(seq))
                .and(STATUS.in(inline(PARKED), inline(REDRIVE_REQUESTED))));

        countRedriving = sql.render(select(count())
                .from(deadLetter)
                .where(CONSUMER.eq(name))
                .and(SEQ.eq(seq))
                .and(STATUS.eq(inline(REDRIVING))));

        parkedKeys = sql.render(selectDistinct(AGGREGATE_ID)
                .from(deadLetter)
                .where(CONSUMER.eq(name))
                .and(STATUS.ne(inline(DISCARDED))));

        Field<Integer> leaseLive =
                when(OWNER.isNotNull().and(LEASE_UNTIL.ge(now)), inline(1)).otherwise(inline(0));
        readConsumers = sql.render(
                select(NAME, CHECKPOINT_SEQ, OWNER, leaseLive, BLOCKED_SEQ, LAST_ERROR, LAST_ERROR_AT, WAITING_SINCE)
                        .from(consumer));

        // Deleting a consumer: its row locked first, so that no relay takes it over meanwhile.
        lockConsumerForDelete = sql.render(
                select(OWNER, leaseLive).from(consumer).where(NAME.eq(name)).forUpdate());

        deleteDeadLettersOfConsumer = sql.render(DSL.deleteFrom(deadLetter).where(CONSUMER.eq(name)));

        deleteConsumer = sql.render(DSL.deleteFrom(consumer).where(NAME.eq(name)));

        readHeadAndNow = sql.render(select(NEXT_SEQ.minus(inline(1L)), now)
                .from(sequencer)
                .where(NAME.eq(param("sequencer", String.class))));

        readSequencedAt = sql.render(select(SEQUENCED_AT).from(log).where(SEQ.eq(seq)));

        countParked = sql.render(select(CONSUMER, count())
                .from(deadLetter)
                .where(STATUS.ne(inline(DISCARDED)))
                .groupBy(CONSUMER));

        lowestCheckpoint = sql.render(select(DSL.min(CHECKPOINT_SEQ)).from(consumer));

        // A bounded range of the primary key, and only rows older than the retention period:
        // seq and sequenced_at grow together, so this deletes a prefix of the range.
        deleteRetained = sql.render(DSL.deleteFrom(log)
                .where(SEQ.between(param("from_seq", Long.class), param("to_seq", Long.class)))
                .and(SEQUENCED_AT.lt(sql.dialect()
                        .currentTimePlusMillis(param("minus_retention_ms", Long.class))
                        .coerce(OffsetDateTime.class))));
    }
}
