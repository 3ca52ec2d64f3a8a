package dev.outbox.examples;

import dev.outbox.OutboxRecord;
import dev.outbox.TransactionalEventHandler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * A read model in the application's database: {@code course_enrollment_counts(course_id,
 * enrolled_count)}, kept current from the log by an exactly-once consumer.
 *
 * <p>Its updates are increments, which are not idempotent: applying an event twice would count a
 * student twice. They need no idempotency here because the handler writes on the relay's connection,
 * in the transaction that also saves the consumer's checkpoint: both commit, or neither does.
 */
public final class EnrollmentCountsProjection implements TransactionalEventHandler {

    public static final String CONSUMER_NAME = "enrollment-counts";

    private final String upsertSql;

    public EnrollmentCountsProjection(DatabaseProduct database) {
        this.upsertSql = upsertSql(database);
    }

    /** Creates the read-model table in the connection's schema. */
    static void createTable(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement ddl = connection.createStatement()) {
            ddl.execute("""
                    CREATE TABLE course_enrollment_counts (
                        course_id      BIGINT PRIMARY KEY,
                        enrolled_count INT NOT NULL
                    )""");
        }
    }

    // [readme:counts-handler]
    @Override
    public void handle(List<OutboxRecord> batch, Connection connection) throws SQLException {
        // One upsert per course of the batch, with the batch's net change for that course. Courses
        // in ascending order, so that two writers of this table could never deadlock.
        Map<Long, Integer> deltas = new TreeMap<>();
        for (OutboxRecord record : batch) {
            int delta = switch (record.eventType()) {
                case EnrollmentEvent.ENROLLED -> 1;
                case EnrollmentEvent.CANCELLED -> -1;
                default -> 0; // not an enrolment event
            };
            deltas.merge(Long.parseLong(record.aggregateId()), delta, Integer::sum);
        }
        try (PreparedStatement upsert = connection.prepareStatement(upsertSql)) {
            for (Map.Entry<Long, Integer> delta : deltas.entrySet()) {
                upsert.setLong(1, delta.getKey()); // course_id
                upsert.setInt(2, delta.getValue()); // the count of a new row
                upsert.setInt(3, delta.getValue()); // added to the count of an existing row
                upsert.addBatch();
            }
            upsert.executeBatch();
        }
    }

    /** The upsert, as each database spells it. */
    private static String upsertSql(DatabaseProduct database) {
        return switch (database) {
            case POSTGRESQL -> """
                    INSERT INTO course_enrollment_counts (course_id, enrolled_count) VALUES (?, ?)
                    ON CONFLICT (course_id)
                    DO UPDATE SET enrolled_count = course_enrollment_counts.enrolled_count + ?""";
            case MARIADB, MYSQL -> """
                    INSERT INTO course_enrollment_counts (course_id, enrolled_count) VALUES (?, ?)
                    ON DUPLICATE KEY UPDATE enrolled_count = enrolled_count + ?""";
        };
    }
    // [readme:end]
}
