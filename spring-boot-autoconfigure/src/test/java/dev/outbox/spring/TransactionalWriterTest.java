package dev.outbox.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxRecord;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Events appended in the application's {@code @Transactional} services share their transaction's
 * fate, through JPA, JdbcTemplate and jOOQ; outside a transaction the append is refused.
 */
abstract class TransactionalWriterTest extends TestApplicationTestBase {

    private static final long COURSE = 1;

    TransactionalWriterTest() {
        super("spring_tx");
    }

    @BeforeAll
    void aCourse() {
        newCourse(COURSE);
    }

    @Test
    void eventsAppendedInTransactionsAreDeliveredWhicheverWayTheBusinessWrites() {
        service.enrol(COURSE, "jpa");
        service.enrolWithJdbc(COURSE, "jdbc");
        service.enrolWithJooq(COURSE, "jooq");

        outbox.awaitConsumed("recorded");

        assertThat(payloads()).containsExactly("jpa", "jdbc", "jooq");
        assertThat(service.trail(COURSE)).contains("jpa");
    }

    @Test
    void aRolledBackTransactionLeavesNoEvent() {
        assertThatThrownBy(() -> service.enrolThenFail(COURSE, "refused")).isInstanceOf(IllegalStateException.class);
        service.enrol(COURSE, "after");

        outbox.awaitConsumed("recorded");

        assertThat(payloads()).containsExactly("after");
    }

    @Test
    void anInnerRequiresNewTransactionKeepsItsOwnEvents() {
        service.enrolAroundInner(COURSE, "outer", () -> service.enrolInNewTransaction(COURSE, "inner"));
        assertThatThrownBy(() -> service.enrolAroundInner(COURSE, "outer-refused", () -> {
                    service.enrolInNewTransaction(COURSE, "inner-kept");
                    throw new IllegalStateException("outer fails after the inner committed");
                }))
                .isInstanceOf(IllegalStateException.class);

        outbox.awaitConsumed("recorded");

        // The inner transaction commits first, each with only its own events.
        assertThat(payloads()).containsExactly("inner", "outer", "inner-kept");
    }

    @Test
    void appendingWithoutATransactionIsRefusedAndSaysWhatToDo() {
        assertThatThrownBy(() -> service.appendWithoutTransaction(COURSE, "nowhere"))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("needs a Spring-managed transaction")
                .hasMessageContaining("@Transactional");
        assertThatThrownBy(() -> service.appendInReadOnly(COURSE, "read-only"))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("read-only transaction");
        service.enrol(COURSE, "then");

        outbox.awaitConsumed("recorded");

        assertThat(payloads()).containsExactly("then");
    }

    private List<String> payloads() {
        return outbox.recorded("recorded").records().stream()
                .map(OutboxRecord::payload)
                .toList();
    }
}
