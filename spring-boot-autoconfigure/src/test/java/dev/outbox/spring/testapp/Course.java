package dev.outbox.spring.testapp;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.ColumnTransformer;

/**
 * The aggregate the ordering test writes to from several threads. {@code trail} records, in the
 * database, the order in which the updates of the row were applied: Hibernate writes the field as
 * {@code concat(trail, ?)}, so each update appends its writer's tag to what the row holds then.
 */
@Entity
@Table(name = "course")
public class Course {

    @Id
    private long id;

    @Column(name = "seats")
    private int seats;

    @Column(name = "trail")
    @ColumnTransformer(write = "concat(trail, ?)")
    private String trail = "";

    protected Course() {}

    public long id() {
        return id;
    }

    /** Takes a seat for {@code tag}; the row's trail gets ",tag" appended when the update is flushed. */
    public void enrol(String tag) {
        seats++;
        trail = "," + tag;
    }
}
