package dev.outbox.examples.spring;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row of {@code courses}: the aggregate whose row every enrolment in the course locks. */
@Entity
@Table(name = "courses")
public class Course {

    @Id
    private long id;

    private String title;

    private int capacity;

    protected Course() {}

    public String title() {
        return title;
    }

    public int capacity() {
        return capacity;
    }
}
