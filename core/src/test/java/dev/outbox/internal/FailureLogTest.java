package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

class FailureLogTest {

    @Test
    void shouldTreatFailuresThatDifferOnlyInNumbersOrMessagesOfOneSqlStateAsOneState() {
        assertThat(FailureLog.kind(new SQLTransientConnectionException("request timed out after 10003ms")))
                .isEqualTo(FailureLog.kind(new SQLTransientConnectionException("request timed out after 10017ms")));
        assertThat(FailureLog.kind(new SQLException("terminating connection", "57P01")))
                .isEqualTo(FailureLog.kind(new SQLException("FATAL: terminating connection due to admin", "57P01")));
        assertThat(FailureLog.kind(new SQLException("x", "57P01")))
                .isNotEqualTo(FailureLog.kind(new SQLException("x", "08006")));
    }
}
