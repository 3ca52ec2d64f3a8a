package dev.outbox.internal;

import dev.outbox.DeadLetter;
import dev.outbox.DeadLetters;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxException;
import dev.outbox.OutboxRecord;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The dead-letter table: parking by the consumer loops, and the public operations of {@link
 * DeadLetters}. The operations only mark rows; the loop that runs the consumer carries re-drives
 * out, so a handler is only ever called from its consumer's thread.
 */
public final class DeadLetterStore implements DeadLetters {

    /** Longest error message and stack head stored, in characters. */
    static final int MAX_TEXT = 4000;

    private static final int STACK_FRAMES = 12;

    private final RelayContext context;
    private final OperationsSql ops;
    private final Consumer<String> onChange;

    /**
     * @param onChange called with a consumer's name after its dead letters were marked for re-drive
     *     or discarded, to wake the loop that runs it in this JVM
     */
    public DeadLetterStore(RelayContext context, Consumer<String> onChange) {
        this.context = context;
        this.ops = context.ops;
        this.onChange = onChange;
    }

    // --- public operations ---------------------------------------------------------------------

    @Override
    public List<DeadLetter> list(String consumer) {
        Objects.requireNonNull(consumer, "consumer");
        return call("listing dead letters of consumer '" + consumer + "'", connection -> {
            try (NamedSql.Bound list = ops.listDeadLetters.prepare(connection)) {
                list.set("consumer", consumer);
                return readDeadLetters(consumer, list);
            }
        });
    }

    @Override
    public boolean redrive(String consumer, long seq) {
        Objects.requireNonNull(consumer, "consumer");
        int marked = call("re-driving seq " + seq + " of consumer '" + consumer + "'", connection -> {
            try (NamedSql.Bound mark = ops.requestRedrive.prepare(connection)) {
                return mark.set("consumer", consumer)
                        .set("seq", seq)
                        .statement()
                        .executeUpdate();
            }
        });
        onChange.accept(consumer);
        return marked > 0;
    }

    @Override
    public int redriveAll(String consumer) {
        Objects.requireNonNull(consumer, "consumer");
        int marked = call("re-driving the dead letters of consumer '" + consumer + "'", connection -> {
            try (NamedSql.Bound mark = ops.requestRedriveAll.prepare(connection)) {
                return mark.set("consumer", consumer).statement().executeUpdate();
            }
        });
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
            try (NamedSql.Bound discard = ops.discard.prepare(connection)) {
                int count = discard.set("reason", reason)
                        .set("consumer", consumer)
                        .set("seq", seq)
                        .statement()
                        .executeUpdate();
                if (count == 0 && isRedriving(connection, consumer, seq)) {
                    throw new OutboxException("consumer '" + consumer + "': seq " + seq + " is being re-driven"
                            + " right now and cannot be discarded; if that delivery fails it is parked again"
                            + " and can be discarded then");
                }
                return count;
            }
        });
        onChange.accept(consumer);
        return discarded > 0;
    }

    private boolean isRedriving(Connection connection, String consumer, long seq) throws SQLException {
        try (NamedSql.Bound select = ops.countRedriving.prepare(connection)) {
            select.set("consumer", consumer).set("seq", seq);
            try (ResultSet rs = select.statement().executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
            }
        }
    }

    // --- used by the consumer loop --------------------------------------------------------------

    /**
     * Parks the log entry at {@code seq} for {@code consumer}, in the caller's transaction.
     *
     * @param failure the handler's last exception, or {@code null} for an event parked behind its key
     * @param message why, when there is no exception
     */
    void park(
            Connection connection,
            String consumer,
            long seq,
            @Nullable Throwable failure,
            String message,
            int attempts,
            Instant firstFailedAt,
            Instant lastFailedAt)
            throws SQLException {
        try (NamedSql.Bound park = ops.parkFromLog.prepare(connection)) {
            park.set("consumer", consumer)
                    .setString(
                            "error_class",
                            failure == null ? null : failure.getClass().getName())
                    .setString(
                            "error_message", truncate(failure == null ? message : String.valueOf(failure.getMessage())))
                    .setString("stack_head", failure == null ? null : stackHead(failure))
                    .set("attempts", attempts)
                    .setInstant("first_failed_at", firstFailedAt, context.dialect)
                    .setInstant("last_failed_at", lastFailedAt, context.dialect)
                    .set("seq", seq);
            if (park.statement().executeUpdate() != 1) {
                throw new SQLException("seq " + seq + " is not in the log: cannot park it");
            }
        }
    }

    /**
     * Parks {@code records}, events of keys that already have parked events ({@link
     * dev.outbox.FailurePolicy#PARK_KEY}), behind them, in the caller's transaction; the handler
     * never saw them.
     */
    void parkBehindKey(Connection connection, String consumer, List<OutboxRecord> records, Instant now)
            throws SQLException {
        for (OutboxRecord record : records) {
            park(
                    connection,
                    consumer,
                    record.seq(),
                    null,
                    "parked behind an earlier parked event of key '" + record.aggregateId() + "'",
                    0,
                    now,
                    now);
        }
    }

    /** Puts a dead letter whose re-drive met an unavailable downstream back in the re-drive queue. */
    void releaseRedrive(String consumer, long seq) throws SQLException {
        context.withConnection(connection -> {
            try (NamedSql.Bound release = ops.releaseRedrive.prepare(connection)) {
                return release.set("consumer", consumer)
                        .set("seq", seq)
                        .statement()
                        .executeUpdate();
            }
        });
    }

    /** The keys of {@code consumer} with parked events, for {@link dev.outbox.FailurePolicy#PARK_KEY}. */
    Set<String> parkedKeys(String consumer) throws SQLException {
        return context.withConnection(connection -> {
            Set<String> keys = new HashSet<>();
            try (NamedSql.Bound select = ops.parkedKeys.prepare(connection)) {
                select.set("consumer", consumer);
                try (ResultSet rs = select.statement().executeQuery()) {
                    while (rs.next()) {
                        keys.add(rs.getString(1));
                    }
                }
            }
            return keys;
        });
    }

    /** Dead letters of {@code consumer} waiting for re-drive (or left being re-driven), in seq order. */
    List<DeadLetter> redriveRequests(String consumer, int limit) throws SQLException {
        return context.withConnection(connection -> {
            try (NamedSql.Bound select = ops.readRedriveRequests.prepare(connection)) {
                select.set("consumer", consumer).set("batch", limit);
                return readDeadLetters(consumer, select);
            }
        });
    }

    /** Per key of {@code consumer}, the lowest seq parked and not asked to be re-driven. */
    Map<String, Long> firstParkedSeqOfKeys(String consumer) throws SQLException {
        return context.withConnection(connection -> {
            Map<String, Long> first = new HashMap<>();
            try (NamedSql.Bound select = ops.firstParkedSeqOfKeys.prepare(connection)) {
                select.set("consumer", consumer);
                try (ResultSet rs = select.statement().executeQuery()) {
                    while (rs.next()) {
                        first.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
            return first;
        });
    }

    /**
     * Marks a dead letter as being re-driven, in the caller's transaction: from then on it cannot be
     * discarded. Returns {@code false} if it was discarded or withdrawn meanwhile.
     */
    boolean claimRedrive(Connection connection, String consumer, long seq) throws SQLException {
        try (NamedSql.Bound claim = ops.claimRedrive.prepare(connection)) {
            return claim.set("consumer", consumer).set("seq", seq).statement().executeUpdate() == 1;
        }
    }

    /** Removes a dead letter whose re-drive was delivered. */
    void deleteRedriven(Connection connection, String consumer, long seq) throws SQLException {
        try (NamedSql.Bound delete = ops.deleteRedriven.prepare(connection)) {
            delete.set("consumer", consumer).set("seq", seq).statement().executeUpdate();
        }
    }

    /**
     * Parks a dead letter again after its re-drive failed, its attempt count raised. With {@code
     * stopKey} ({@link dev.outbox.FailurePolicy#PARK_KEY}) the re-drives asked for later events of
     * its key are withdrawn too, so that none of them is delivered before it.
     */
    void redriveFailed(DeadLetter deadLetter, Throwable failure, Instant failedAt, boolean stopKey)
            throws SQLException {
        context.inTransaction(connection -> {
            try (NamedSql.Bound update = ops.failRedrive.prepare(connection)) {
                update.setString("error_class", failure.getClass().getName())
                        .setString("error_message", truncate(String.valueOf(failure.getMessage())))
                        .setString("stack_head", stackHead(failure))
                        .setInstant("last_failed_at", failedAt, context.dialect)
                        .set("consumer", deadLetter.consumer())
                        .set("seq", deadLetter.record().seq())
                        .statement()
                        .executeUpdate();
            }
            if (stopKey) {
                try (NamedSql.Bound cancel = ops.cancelLaterRedrivesOfKey.prepare(connection)) {
                    cancel.set("consumer", deadLetter.consumer())
                            .set("aggregate_id", deadLetter.record().aggregateId())
                            .set("seq", deadLetter.record().seq())
                            .statement()
                            .executeUpdate();
                }
            }
            return null;
        });
    }

    private List<DeadLetter> readDeadLetters(String consumer, NamedSql.Bound select) throws SQLException {
        List<DeadLetter> deadLetters = new ArrayList<>();
        try (ResultSet rs = select.statement().executeQuery()) {
            while (rs.next()) {
                OutboxRecord record = context.readRecord(rs);
                deadLetters.add(new DeadLetter(
                        consumer,
                        record,
                        status(rs.getString(10)),
                        rs.getString(11),
                        rs.getString(12),
                        rs.getString(13),
                        rs.getInt(14),
                        context.dialect.readInstant(rs, 15),
                        context.dialect.readInstant(rs, 16)));
            }
        }
        return deadLetters;
    }

    private static DeadLetter.Status status(String value) {
        return switch (value) {
            case OperationsSql.PARKED -> DeadLetter.Status.PARKED;
            case OperationsSql.REDRIVE_REQUESTED -> DeadLetter.Status.REDRIVE_REQUESTED;
            case OperationsSql.REDRIVING -> DeadLetter.Status.REDRIVING;
            case OperationsSql.DISCARDED -> DeadLetter.Status.DISCARDED;
            default -> throw new IllegalStateException("unknown dead-letter status '" + value + "'");
        };
    }

    static String describe(Throwable failure) {
        return truncate(failure.getClass().getName() + ": " + failure.getMessage());
    }

    static String truncate(String text) {
        return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT - 3) + "...";
    }

    /** The first frames of the stack trace, with the first line of each cause. */
    static String stackHead(Throwable failure) {
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                out.println((t == failure ? "" : "Caused by: ") + t);
                StackTraceElement[] frames = t.getStackTrace();
                for (int i = 0; i < Math.min(STACK_FRAMES, frames.length); i++) {
                    out.println("\tat " + frames[i]);
                }
                if (t.getCause() == t) {
                    break;
                }
            }
        }
        return truncate(text.toString());
    }

    private <T> T call(String action, RelayContext.Work<T> work) {
        try {
            return context.withConnection(work);
        } catch (SQLException e) {
            throw new OutboxException(action + " failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
        }
    }
}
