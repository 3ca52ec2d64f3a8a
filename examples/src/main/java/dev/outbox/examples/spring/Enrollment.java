package dev.outbox.examples.spring;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.Objects;

/** A row of {@code enrollments}; its time of enrolment is the database's default. */
@Entity
@Table(name = "enrollments")
public class Enrollment {

    @EmbeddedId
    private Key key;

    protected Enrollment() {}

    public Enrollment(Key key) {
        this.key = key;
    }

    /** The primary key: a student in a course. */
    @Embeddable
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;

        @Column(name = "student_id")
        private long studentId;

        @Column(name = "course_id")
        private long courseId;

        protected Key() {}

        public Key(long studentId, long courseId) {
            this.studentId = studentId;
            this.courseId = courseId;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && key.studentId == studentId && key.courseId == courseId;
        }

        @Override
        public int hashCode() {
            return Objects.hash(studentId, courseId);
        }
    }
}
