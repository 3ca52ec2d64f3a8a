package dev.outbox.examples.spring;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row of {@code students}. */
@Entity
@Table(name = "students")
public class Student {

    @Id
    private long id;

    private String name;

    protected Student() {}

    public String name() {
        return name;
    }
}
