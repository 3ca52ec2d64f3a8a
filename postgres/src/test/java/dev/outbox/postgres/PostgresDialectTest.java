package dev.outbox.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.spi.SqlFailure;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

/** Error classification, without a database (the conformance suite sees the real errors). */
class PostgresDialectTest {

    private static SqlFailure classify(SQLException e) {
        return PostgresDialect.create().classify(e);
    }

    @Test
    void shouldClassifyPostgresSqlStates() {
        assertThat(classify(new SQLException("deadlock detected", "40P01"))).isEqualTo(SqlFailure.TRANSIENT);
        assertThat(classify(new SQLException("could not serialize", "40001"))).isEqualTo(SqlFailure.TRANSIENT);
        assertThat(classify(new SQLException("lock not available", "55P03"))).isEqualTo(SqlFailure.TRANSIENT);
        assertThat(classify(new SQLException("relation does not exist", "42P01")))
                .isEqualTo(SqlFailure.UNDEFINED_OBJECT);
        assertThat(classify(new SQLException("terminating connection", "57P01")))
                .isEqualTo(SqlFailure.CONNECTION);
        assertThat(classify(new SQLException("I/O error", "08006"))).isEqualTo(SqlFailure.CONNECTION);
        assertThat(classify(new SQLTransientConnectionException("pool timed out")))
                .isEqualTo(SqlFailure.CONNECTION);
        assertThat(classify(new SQLException("syntax error", "42601"))).isEqualTo(SqlFailure.OTHER);
        assertThat(classify(new SQLException("no state"))).isEqualTo(SqlFailure.OTHER);
    }
}
