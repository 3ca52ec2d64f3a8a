package dev.outbox.examples;

/**
 * The application's business operations, each one transaction that changes the business tables and
 * appends an event: {@link EnrollmentService} on plain JDBC, {@code SpringEnrollmentService} on
 * Spring and JPA.
 */
public interface Enrollments {

    /**
     * Enrolls a student in a course.
     *
     * @throws Rejected if the student is enrolled already or the course is full
     */
    void enroll(long studentId, long courseId);

    /**
     * Cancels a student's enrolment in a course.
     *
     * @throws Rejected if the student is not enrolled in the course
     */
    void cancel(long studentId, long courseId);

    /**
     * A business rule refused the operation. Thrown inside the transaction, which is then rolled
     * back: the business writes made so far and the events appended so far are discarded.
     */
    final class Rejected extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** Which rule. */
        public enum Reason {
            ALREADY_ENROLLED,
            COURSE_FULL,
            NOT_ENROLLED
        }

        final Reason reason;

        public Rejected(Reason reason) {
            super(reason.name(), null, false, false); // an expected outcome: no stack trace
            this.reason = reason;
        }
    }
}
