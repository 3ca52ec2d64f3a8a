package dev.outbox.examples;

import static dev.outbox.examples.EnrollmentEvent.CANCELLED;
import static dev.outbox.examples.EnrollmentEvent.ENROLLED;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The application's business operations. Each is one transaction that changes the business tables
 * and appends an event with {@link OutboxWriter#inTransaction}: the event commits exactly when the
 * change does, and a refused operation rolls both back.
 *
 * <p>Thread-safe: every call takes its own connection from the pool.
 */
final class EnrollmentService implements Enrollments {

    private record Course(String title, int capacity) {}

    private final DataSource dataSource;
    private final OutboxWriter writer;

    EnrollmentService(DataSource dataSource, OutboxWriter writer) {
        this.dataSource = dataSource;
        this.writer = writer;
    }

    @Override
    public void enroll(long studentId, long courseId) {
        // [readme:writer]
        writer.inTransaction(dataSource, tx -> {
            Connection connection = tx.connection();
            Course course = lockCourse(connection, courseId); // SELECT ... FOR UPDATE
            String student = studentName(connection, studentId);
            if (!insertEnrollment(connection, studentId, courseId)) {
                throw new Rejected(Rejected.Reason.ALREADY_ENROLLED);
            }
            if (enrolledCount(connection, courseId) > course.capacity()) {
                throw new Rejected(Rejected.Reason.COURSE_FULL); // rolls back the insert above
            }
            String payload = new EnrollmentEvent(ENROLLED, studentId, student, courseId, course.title()).toJson();
            tx.append(OutboxEvent.of("course", Long.toString(courseId), ENROLLED, payload));
            return null;
        });
        // [readme:end]
    }

    @Override
    public void cancel(long studentId, long courseId) {
        writer.inTransaction(dataSource, tx -> {
            Connection connection = tx.connection();
            Course course = lockCourse(connection, courseId);
            String student = studentName(connection, studentId);
            if (!deleteEnrollment(connection, studentId, courseId)) {
                throw new Rejected(Rejected.Reason.NOT_ENROLLED);
            }
            String payload = new EnrollmentEvent(CANCELLED, studentId, student, courseId, course.title()).toJson();
            tx.append(OutboxEvent.of("course", Long.toString(courseId), CANCELLED, payload));
            return null;
        });
    }

    /**
     * Locks the course's row for the rest of the transaction. Every operation on a course takes
     * this lock first, so operations on one course run one after the other, the capacity check
     * cannot be raced, and their events are sequenced in the order they committed.
     */
    private static Course lockCourse(Connection connection, long courseId) throws SQLException {
        try (PreparedStatement select =
                connection.prepareStatement("SELECT title, capacity FROM courses WHERE id = ? FOR UPDATE")) {
            select.setLong(1, courseId);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalArgumentException("no course " + courseId);
                }
                return new Course(rs.getString(1), rs.getInt(2));
            }
        }
    }

    private static String studentName(Connection connection, long studentId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT name FROM students WHERE id = ?")) {
            select.setLong(1, studentId);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalArgumentException("no student " + studentId);
                }
                return rs.getString(1);
            }
        }
    }

    /**
     * Inserts the enrolment unless it exists. The check cannot be raced: the caller holds the
     * course's lock, which every change to the course's enrolments takes first. (Portable SQL:
     * PostgreSQL would say {@code ON CONFLICT DO NOTHING}, MySQL {@code INSERT IGNORE}, which also
     * turns other errors into warnings.)
     */
    private static boolean insertEnrollment(Connection connection, long studentId, long courseId) throws SQLException {
        try (PreparedStatement select =
                connection.prepareStatement("SELECT 1 FROM enrollments WHERE student_id = ? AND course_id = ?")) {
            select.setLong(1, studentId);
            select.setLong(2, courseId);
            try (ResultSet rs = select.executeQuery()) {
                if (rs.next()) {
                    return false;
                }
            }
        }
        try (PreparedStatement insert =
                connection.prepareStatement("INSERT INTO enrollments (student_id, course_id) VALUES (?, ?)")) {
            insert.setLong(1, studentId);
            insert.setLong(2, courseId);
            insert.executeUpdate();
            return true;
        }
    }

    private static boolean deleteEnrollment(Connection connection, long studentId, long courseId) throws SQLException {
        try (PreparedStatement delete =
                connection.prepareStatement("DELETE FROM enrollments WHERE student_id = ? AND course_id = ?")) {
            delete.setLong(1, studentId);
            delete.setLong(2, courseId);
            return delete.executeUpdate() == 1;
        }
    }

    private static int enrolledCount(Connection connection, long courseId) throws SQLException {
        try (PreparedStatement count =
                connection.prepareStatement("SELECT count(*) FROM enrollments WHERE course_id = ?")) {
            count.setLong(1, courseId);
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
