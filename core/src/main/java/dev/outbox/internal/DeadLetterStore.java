package dev.outbox.internal;

import dev.outbox.DeadLetter;
import dev.outbox.DeadLetters;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxException;
import dev.outbox.OutboxRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The dead-letter table: the public operations of {@link DeadLetters}, and what the consumer loops
 * park, re-drive and read. The operations only mark rows; the loop that runs the consumer carries
 * re-drives out, so a handler is only ever called from its consumer's thread.
 */
final class DeadLetterStore implements DeadLetters {

    /** Most dead letters in one page of {@link #list(String, long, int)}. */
    private static final int MAX_PAGE = 10_000;

    private final RelayContext context;
    private final DeadLetterSql statements;
    private final Consumer<String> onChange;

    /**
     * @param onChange called with a consumer's name after its dead letters were marked for re-drive
     *     or discarded, to wake the loop that runs it in this JVM
     */
    DeadLetterStore(RelayContext context, Consumer<String> onChange) {
        this.context = context;
        this.statements = new DeadLetterSql(context.sql);
        this.onChange = onChange;
    }

    // --- public operations ---------------------------------------------------------------------

    @Override
    public List<DeadLetter> list(String consumer) {
        Objects.requireNonNull(consumer, "consumer");
        return call(
                "listing dead letters of consumer '" + consumer + "'",
                connection -> statements.list(connection, consumer));
    }

    @Override
    public List<DeadLetter> list(String consumer, long afterSeq, int limit) {
        Objects.requireNonNull(consumer, "consumer");
        if (limit < 1 || limit > MAX_PAGE) {
            throw new OutboxConfigurationException(
                    "dead letters: limit must be in [1, " + MAX_PAGE + "], was " + limit);
        }
        return call(
                "listing dead letters of consumer '" + consumer + "'",
                connection -> statements.list(connection, consumer, afterSeq, limit));
    }

    @Override
    public boolean redrive(String consumer, long seq) {
        Objects.requireNonNull(consumer, "consumer");
        int marked = call(
                "re-driving seq " + seq + " of consumer '" + consumer + "'",
                connection -> statements.requestRedrive(connection, consumer, seq));
        onChange.accept(consumer);
        return marked > 0;
    }

    @Override
    public int redriveAll(String consumer) {
        Objects.requireNonNull(consumer, "consumer");
        int marked = call(
                "re-driving the dead letters of consumer '" + consumer + "'",
                connection -> statements.requestRedriveAll(connection, consumer));
        onChange.accept(consumer);
        return marked;
    }

    @Override
    public boolean discard(String consumer, long seq, String reason) {
        Objects.requireNonNull(consumer, "consumer");
        if (reason == null || reason.isBlank()) {
            throw new OutboxConfigurationException("discard(" + consumer + ", " + seq
                    + "): give a reason, for whoever reads the dead-letter table later");
        }
        int discarded = call("discarding seq " + seq + " of consumer '" + consumer + "'", connection -> {
            int count = statements.discard(connection, consumer, seq, reason);
            if (count == 0 && statements.isRedriving(connection, consumer, seq)) {
                throw new OutboxException("consumer '" + consumer + "': seq " + seq + " is being re-driven right"
                        + " now and cannot be discarded; if that delivery fails it is parked again and can be"
                        + " discarded then");
            }
            return count;
        });
        onChange.accept(consumer);
        return discarded > 0;
    }

    // --- used by the consumer loop --------------------------------------------------------------

    /** Parks the log entry at {@code seq} for {@code consumer}, in the caller's transaction. */
    void park(Connection connection, Partition part, long seq, DeadLetterSql.Parking parking) throws SQLException {
        if (!statements.park(connection, part, seq, parking)) {
            throw new SQLException("seq " + seq + " is not in the log: cannot park it");
        }
    }

    /**
     * Parks {@code records}, events of keys that already have parked events ({@link
     * dev.outbox.FailurePolicy#PARK_KEY}), behind them, in the caller's transaction; the handler
     * never saw them.
     */
    void parkBehindKey(Connection connection, Partition part, List<OutboxRecord> records, Instant now)
            throws SQLException {
        for (OutboxRecord record : records) {
            park(connection, part, record.seq(), DeadLetterSql.Parking.behindKey(record.aggregateId(), now));
        }
    }

    /** The keys of {@code part} with dead letters, for {@link dev.outbox.FailurePolicy#PARK_KEY}. */
    Set<String> parkedKeys(Partition part) throws SQLException {
        return context.withConnection(connection -> statements.parkedKeys(connection, part));
    }

    /** See {@link DeadLetterSql#keyHasLetters}. */
    boolean hasLetters(String consumer, String key) throws SQLException {
        return context.withConnection(connection -> statements.keyHasLetters(connection, consumer, key));
    }

    /** See {@link DeadLetterSql#redriveWindow}. */
    DeadLetterSql.RedriveWindow redriveWindow(Partition part, long afterSeq, int limit, boolean inKeyOrder)
            throws SQLException {
        return context.withConnection(
                connection -> statements.redriveWindow(connection, part, afterSeq, limit, inKeyOrder));
    }

    /**
     * Marks dead letters as being re-driven, in the caller's transaction: from then on they cannot
     * be discarded. Returns those claimed; the others were discarded meanwhile.
     */
    List<DeadLetter> claimRedrive(Connection connection, String consumer, List<DeadLetter> letters)
            throws SQLException {
        return statements.claimRedrive(connection, consumer, letters);
    }

    /** Removes dead letters whose re-drive was delivered. */
    void deleteRedriven(Connection connection, String consumer, List<DeadLetter> letters) throws SQLException {
        statements.deleteRedriven(connection, consumer, letters);
    }

    /** Puts claimed dead letters that were not delivered back in the re-drive queue. */
    void releaseRedrive(String consumer, List<DeadLetter> letters) throws SQLException {
        if (letters.isEmpty()) {
            return;
        }
        context.withConnection(connection -> {
            statements.releaseRedrive(connection, consumer, letters);
            return null;
        });
    }

    /** See {@link DeadLetterSql#keyTail}. */
    List<DeadLetter> keyTail(String consumer, String key, long afterSeq, int limit) throws SQLException {
        return context.withConnection(connection -> statements.keyTail(connection, consumer, key, afterSeq, limit));
    }

    /** See {@link DeadLetterSql#requestBehindKey}. */
    int requestBehindKey(String consumer, String key, long seq) throws SQLException {
        return context.withConnection(connection -> statements.requestBehindKey(connection, consumer, key, seq));
    }

    /**
     * Parks a dead letter again after its re-drive failed, its attempt count raised. Under {@link
     * dev.outbox.FailurePolicy#PARK_KEY} the requests for later events of its key then wait for it,
     * as every request waits for an earlier parked event of its key: withdrawing them would cost
     * an update of each, and another of each when they are asked for again.
     */
    void redriveFailed(DeadLetter deadLetter, Throwable failure, int attempts, Instant failedAt) throws SQLException {
        context.withConnection(connection -> {
            statements.failRedrive(
                    connection, deadLetter.consumer(), deadLetter.record().seq(), failure, attempts, failedAt);
            return null;
        });
    }

    private <T> T call(String action, RelayContext.Work<T> work) {
        try {
            return context.operation(work);
        } catch (SQLException e) {
            throw new OutboxException(action + " failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
        }
    }
}
