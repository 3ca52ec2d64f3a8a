package dev.outbox.internal;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/** What a failure's cause chain says: the one place that walks it. */
final class Failures {

    private Failures() {}

    /** Whether an {@link SQLException} in the chain of {@code failure} is of {@code kind}. */
    static boolean is(Throwable failure, SqlFailure kind, OutboxDialect dialect) {
        for (Throwable t = failure; t != null; t = next(t)) {
            if (t instanceof SQLException sql && dialect.classify(sql) == kind) {
                return true;
            }
        }
        return false;
    }

    /** Whether the chain of {@code failure} holds an {@link SQLException}: the database failed. */
    static boolean fromDatabase(Throwable failure) {
        return find(failure, SQLException.class) != null;
    }

    /** The first throwable of type {@code type} in the chain of {@code failure}, or {@code null}. */
    static <T extends Throwable> @Nullable T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = next(t)) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static @Nullable Throwable next(Throwable t) {
        Throwable cause = t.getCause();
        return cause == t ? null : cause;
    }
}
