package dev.outbox.spring.testapp;

import dev.outbox.OutboxEvent;
import dev.outbox.spring.SpringOutboxWriter;
import java.util.List;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** Business writes through JPA, JdbcTemplate and jOOQ, each appending an event in its transaction. */
@Service
public class EnrollmentService {

    private final CourseRepository courses;
    private final JdbcTemplate jdbc;
    private final DSLContext dsl;
    private final SpringOutboxWriter outbox;

    public EnrollmentService(CourseRepository courses, JdbcTemplate jdbc, DSLContext dsl, SpringOutboxWriter outbox) {
        this.courses = courses;
        this.jdbc = jdbc;
        this.dsl = dsl;
        this.outbox = outbox;
    }

    /** Through JPA: the course's update is flushed at commit; {@code append} receives the event. */
    @Transactional
    public void enrol(long courseId, String tag, Consumer<OutboxEvent> append) {
        Course course = courses.findById(courseId).orElseThrow();
        course.enrol(tag);
        append.accept(event(courseId, tag));
    }

    @Transactional
    public void enrol(long courseId, String tag) {
        enrol(courseId, tag, outbox::append);
    }

    /** Appends, then fails: the transaction rolls back. */
    @Transactional
    public void enrolThenFail(long courseId, String tag) {
        enrol(courseId, tag);
        throw new IllegalStateException("the business rule refused " + tag);
    }

    @Transactional
    public void enrolWithJdbc(long courseId, String tag) {
        jdbc.update("update course set seats = seats + 1 where id = ?", courseId);
        outbox.append(event(courseId, tag));
    }

    @Transactional
    public void enrolWithJooq(long courseId, String tag) {
        dsl.update(DSL.table("course"))
                .set(
                        DSL.field("seats", Integer.class),
                        DSL.field("seats", Integer.class).plus(1))
                .where(DSL.field("id", Long.class).eq(courseId))
                .execute();
        outbox.append(event(courseId, tag));
    }

    /** Appends {@code outer}, then {@code inner} in a transaction of its own, which fails if asked. */
    @Transactional
    public void enrolAroundInner(long courseId, String outer, Runnable inner) {
        outbox.append(event(courseId, outer));
        inner.run();
    }

    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public void enrolInNewTransaction(long courseId, String tag) {
        enrol(courseId, tag);
    }

    @Transactional(readOnly = true)
    public void appendInReadOnly(long courseId, String tag) {
        outbox.append(event(courseId, tag));
    }

    public void appendWithoutTransaction(long courseId, String tag) {
        outbox.append(event(courseId, tag));
    }

    public List<String> trail(long courseId) {
        String trail = jdbc.queryForObject("select trail from course where id = ?", String.class, courseId);
        return trail == null || trail.isEmpty()
                ? List.of()
                : List.of(trail.substring(1).split(","));
    }

    public static OutboxEvent event(long courseId, String tag) {
        return OutboxEvent.of("course", Long.toString(courseId), "Enrolled", tag);
    }
}
