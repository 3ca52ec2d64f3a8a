package dev.outbox.examples.spring;

import static dev.outbox.examples.EnrollmentEvent.CANCELLED;
import static dev.outbox.examples.EnrollmentEvent.ENROLLED;

import dev.outbox.OutboxEvent;
import dev.outbox.examples.EnrollmentEvent;
import dev.outbox.examples.Enrollments;
import dev.outbox.spring.SpringOutboxWriter;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The business operations on JPA, each a {@code @Transactional} method that appends its event with
 * {@link SpringOutboxWriter}: the event commits exactly when the change does, and a refused
 * operation ({@link Enrollments.Rejected}, a runtime exception) rolls both back.
 */
@Service
public class SpringEnrollmentService implements Enrollments {

    private final EntityManager entities;
    private final SpringOutboxWriter outbox;

    public SpringEnrollmentService(EntityManager entities, SpringOutboxWriter outbox) {
        this.entities = entities;
        this.outbox = outbox;
    }

    // [readme:spring-service]
    @Override
    @Transactional
    public void enroll(long studentId, long courseId) {
        Course course = entities.find(Course.class, courseId, LockModeType.PESSIMISTIC_WRITE); // FOR UPDATE
        Student student = entities.find(Student.class, studentId);
        Enrollment.Key key = new Enrollment.Key(studentId, courseId);
        if (entities.find(Enrollment.class, key) != null) {
            throw new Rejected(Rejected.Reason.ALREADY_ENROLLED);
        }
        entities.persist(new Enrollment(key));
        if (enrolledCount(courseId) > course.capacity()) {
            throw new Rejected(Rejected.Reason.COURSE_FULL); // rolls back the insert above
        }
        String payload = new EnrollmentEvent(ENROLLED, studentId, student.name(), courseId, course.title()).toJson();
        outbox.append(OutboxEvent.of("course", Long.toString(courseId), ENROLLED, payload));
    }
    // [readme:end]

    @Override
    @Transactional
    public void cancel(long studentId, long courseId) {
        Course course = entities.find(Course.class, courseId, LockModeType.PESSIMISTIC_WRITE);
        Student student = entities.find(Student.class, studentId);
        Enrollment enrollment = entities.find(Enrollment.class, new Enrollment.Key(studentId, courseId));
        if (enrollment == null) {
            throw new Rejected(Rejected.Reason.NOT_ENROLLED);
        }
        entities.remove(enrollment);
        String payload = new EnrollmentEvent(CANCELLED, studentId, student.name(), courseId, course.title()).toJson();
        outbox.append(OutboxEvent.of("course", Long.toString(courseId), CANCELLED, payload));
    }

    /** Flushes the pending insert first (JPA's AUTO flush mode, before a query of its table). */
    private long enrolledCount(long courseId) {
        return entities.createQuery("select count(e) from Enrollment e where e.key.courseId = :course", Long.class)
                .setParameter("course", courseId)
                .getSingleResult();
    }
}
