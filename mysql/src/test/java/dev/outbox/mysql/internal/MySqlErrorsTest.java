package dev.outbox.mysql.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.spi.SqlFailure;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTransactionRollbackException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Classification by error code and SQLState, as MariaDB Connector/J and MySQL Connector/J report them. */
class MySqlErrorsTest {

    @ParameterizedTest
    @CsvSource({
        "1213, 40001, TRANSIENT", // deadlock
        "1205, HY000, TRANSIENT", // lock wait timeout
        "1020, HY000, TRANSIENT", // record changed since last read (MariaDB snapshot isolation)
        "2013, HY000, CONNECTION", // lost connection during query
        "2006, HY000, CONNECTION", // server has gone away
        "1927, 70100, CONNECTION", // connection was killed (MariaDB)
        "4031, HY000, CONNECTION", // disconnected by the server (MySQL)
        "1053, 08S01, CONNECTION", // server shutdown in progress
        "1040, 08004, CONNECTION", // too many connections
        "1146, 42S02, UNDEFINED_OBJECT", // no such table
        "1054, 42S22, UNDEFINED_OBJECT", // unknown column
        "1049, 42000, UNDEFINED_OBJECT", // unknown database
        "1142, 42000, OTHER", // command denied
        "1062, 23000, OTHER", // duplicate key
        "1064, 42000, OTHER", // syntax
        "1406, 22001, OTHER", // data too long
    })
    void shouldClassifyServerErrorsByCode(int code, String state, SqlFailure expected) {
        assertThat(MySqlErrors.classify(new SQLException("error " + code, state, code)))
                .isEqualTo(expected);
    }

    @Test
    void shouldTreatDriverDetectedConnectionFailuresAsConnection() {
        // what a driver raises itself when the socket breaks: no server code
        assertThat(MySqlErrors.classify(new SQLNonTransientConnectionException("socket closed", "08000", -1)))
                .isEqualTo(SqlFailure.CONNECTION);
        assertThat(MySqlErrors.classify(new SQLException("Communications link failure", "08S01")))
                .isEqualTo(SqlFailure.CONNECTION);
    }

    @Test
    void shouldLookThroughAWrappedServerError() {
        SQLException wrapped = new SQLException(
                "commit failed",
                "HY000",
                0,
                new SQLTransactionRollbackException(
                        "Deadlock found when trying to get lock", "40001", MySqlErrors.DEADLOCK));
        assertThat(MySqlErrors.classify(wrapped)).isEqualTo(SqlFailure.TRANSIENT);
        assertThat(MySqlErrors.classify(new SQLSyntaxErrorException("x", "42S02", 0)))
                .isEqualTo(SqlFailure.UNDEFINED_OBJECT);
        assertThat(MySqlErrors.classify(new SQLException("no state"))).isEqualTo(SqlFailure.OTHER);
    }
}
