package dev.outbox.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxRecord;
import dev.outbox.spring.testapp.EnrollmentService;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

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

    @Test
    void aTransactionManagerOfAnotherDataSourceIsRefusedAtCommit() {
        HikariDataSource application = this.application.getBean(HikariDataSource.class);
        DriverManagerDataSource other = new DriverManagerDataSource(
                application.getJdbcUrl(), application.getUsername(), application.getPassword());
        TransactionTemplate otherTransaction = new TransactionTemplate(new DataSourceTransactionManager(other));
        SpringOutboxWriter writer = this.application.getBean(SpringOutboxWriter.class);

        assertThatThrownBy(() -> otherTransaction.executeWithoutResult(
                        status -> writer.append(EnrollmentService.event(COURSE, "elsewhere"))))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("does not manage the DataSource the writer appends through");
        service.enrol(COURSE, "here");

        outbox.awaitConsumed("recorded");

        assertThat(payloads()).containsExactly("here");
    }

    private List<String> payloads() {
        return outbox.recorded("recorded").records().stream()
                .map(OutboxRecord::payload)
                .toList();
    }
}
