package dev.outbox.mysql.internal;

import dev.outbox.spi.SqlFailure;
import java.sql.SQLException;
import java.util.Set;

/**
 * What MySQL and MariaDB errors mean to the relay, by the server's error code first (both servers
 * share the codes used here, and both drivers pass them through {@link SQLException#getErrorCode()}),
 * then by SQLState and exception type for errors the driver raises itself.
 */
public final class MySqlErrors {

    /** ER_LOCK_DEADLOCK: InnoDB chose this transaction as a deadlock victim and rolled it back. */
    public static final int DEADLOCK = 1213;

    /** ER_LOCK_WAIT_TIMEOUT: a row lock was not granted within innodb_lock_wait_timeout. */
    public static final int LOCK_WAIT_TIMEOUT = 1205;

    private static final Set<Integer> TRANSIENT = Set.of(
            DEADLOCK,
            LOCK_WAIT_TIMEOUT,
            1020); // ER_CHECKREAD: "record has changed since last read" (MariaDB innodb_snapshot_isolation)

    private static final Set<Integer> CONNECTION = Set.of(
            1040, // ER_CON_COUNT_ERROR: too many connections
            1053, // ER_SERVER_SHUTDOWN
            1152, // ER_ABORTING_CONNECTION
            1158, // ER_NET_READ_ERROR
            1159, // ER_NET_READ_INTERRUPTED
            1160, // ER_NET_ERROR_ON_WRITE
            1161, // ER_NET_WRITE_INTERRUPTED
            1317, // ER_QUERY_INTERRUPTED: KILL QUERY or a shutdown, not the statement's fault
            1290, // ER_OPTION_PREVENTS_STATEMENT: --read-only, typically a fail-over in progress
            1836, // ER_READ_ONLY_MODE
            1927, // ER_CONNECTION_KILLED (MariaDB): KILL CONNECTION
            2002, // CR_CONNECTION_ERROR
            2003, // CR_CONN_HOST_ERROR
            2006, // CR_SERVER_GONE_ERROR: "server has gone away"
            2013, // CR_SERVER_LOST: "lost connection to server during query"
            2055, // CR_SERVER_LOST_EXTENDED
            4031); // ER_CLIENT_INTERACTION_TIMEOUT (MySQL): disconnected by the server

    private static final Set<Integer> UNDEFINED_OBJECT = Set.of(
            1146, // ER_NO_SUCH_TABLE
            1054, // ER_BAD_FIELD_ERROR: unknown column
            1049); // ER_BAD_DB_ERROR: unknown database (the configured schema)

    private MySqlErrors() {}

    public static SqlFailure classify(SQLException exception) {
        SqlFailure byCode = byCode(exception);
        if (byCode != SqlFailure.OTHER) {
            return byCode;
        }
        // The drivers raise connection exceptions themselves when the socket breaks, with code 0
        // or a client code; SQLState class 08 and 40001 are standard.
        SqlFailure standard = SqlFailure.standard(exception);
        if (standard != SqlFailure.OTHER) {
            return standard;
        }
        String state = exception.getSQLState();
        return switch (state == null ? "" : state) {
            case "42S02", "42S22" -> SqlFailure.UNDEFINED_OBJECT; // table, column
            default -> SqlFailure.OTHER;
        };
    }

    private static SqlFailure byCode(SQLException exception) {
        // A driver may wrap the server's error (a batch, a failed commit): look down the chain.
        for (Throwable e = exception; e != null; e = e.getCause()) {
            if (e instanceof SQLException sql && sql.getErrorCode() != 0) {
                int code = sql.getErrorCode();
                if (TRANSIENT.contains(code)) {
                    return SqlFailure.TRANSIENT;
                }
                if (CONNECTION.contains(code)) {
                    return SqlFailure.CONNECTION;
                }
                if (UNDEFINED_OBJECT.contains(code)) {
                    return SqlFailure.UNDEFINED_OBJECT;
                }
                return SqlFailure.OTHER;
            }
            if (e.getCause() == e) {
                break;
            }
        }
        return SqlFailure.OTHER;
    }
}
