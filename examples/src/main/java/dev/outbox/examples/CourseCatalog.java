package dev.outbox.examples;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The application's own tables, created with plain DDL (they belong to the application, not to
 * outbox), and the students and courses it starts with. Names and titles are generated from a fixed
 * seed, so every run has the same catalogue.
 */
final class CourseCatalog {

    private static final String[] FIRST_NAMES = {
        "Ada",
        "Alan",
        "Barbara",
        "Butler",
        "Charles",
        "Donald",
        "Edsger",
        "Frances",
        "Grace",
        "Jim",
        "John",
        "Ken",
        "Leslie",
        "Ivan",
        "Margaret",
        "Martin",
        "Michael",
        "Niklaus",
        "Pat",
        "Radia",
        "Shafi",
        "Sophie",
        "Tony",
        "Whitfield",
        "Yukihiro",
        "Zhang"
    };
    private static final String[] LAST_NAMES = {
        "Lovelace",
        "Turing",
        "Liskov",
        "Lampson",
        "Babbage",
        "Knuth",
        "Dijkstra",
        "Allen",
        "Hopper",
        "Gray",
        "Backus",
        "Thompson",
        "Lamport",
        "Hamilton",
        "Kleppmann",
        "Stonebraker",
        "Wirth",
        "Selinger",
        "Perlman",
        "Goldwasser",
        "Wilson",
        "Hoare",
        "Diffie",
        "Matsumoto",
        "Chen",
        "Codd"
    };
    private static final String[] LEVELS = {
        "Introduction to", "Advanced", "Applied", "Foundations of", "Topics in", "Principles of", "Seminar on"
    };
    private static final String[] SUBJECTS = {
        "Distributed Systems",
        "Database Internals",
        "Stream Processing",
        "Consensus Algorithms",
        "Storage Engines",
        "Query Optimization",
        "Replication and Partitioning",
        "Transaction Processing",
        "Event Sourcing",
        "Batch Processing",
        "Data Encoding and Schema Evolution",
        "Distributed Transactions",
        "Information Retrieval",
        "Search Engines",
        "Concurrency Control",
        "Log-Structured Storage",
        "Data Warehousing",
        "Graph Databases",
        "Operating Systems",
        "Computer Networks",
        "Compilers",
        "Cryptography",
        "Distributed Consensus",
        "Database Recovery",
        "Change Data Capture",
        "Reliable Messaging"
    };

    private CourseCatalog() {}

    /**
     * Creates the business tables in the connection's schema. The same DDL on every database but for
     * the type of a moment in time: {@code TIMESTAMP} is one on MariaDB and MySQL, {@code
     * TIMESTAMPTZ} on PostgreSQL. Foreign keys are declared after the columns: MySQL ignores a
     * {@code REFERENCES} written on a column.
     */
    static void createTables(DataSource dataSource, DatabaseProduct product) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement ddl = connection.createStatement()) {
            ddl.execute("""
                    CREATE TABLE students (
                        id   BIGINT PRIMARY KEY,
                        name TEXT NOT NULL
                    )""");
            ddl.execute("""
                    CREATE TABLE courses (
                        id       BIGINT PRIMARY KEY,
                        title    TEXT NOT NULL,
                        capacity INT NOT NULL CHECK (capacity > 0)
                    )""");
            ddl.execute("""
                    CREATE TABLE enrollments (
                        student_id  BIGINT NOT NULL,
                        course_id   BIGINT NOT NULL,
                        enrolled_at %s NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                        PRIMARY KEY (student_id, course_id),
                        FOREIGN KEY (student_id) REFERENCES students (id),
                        FOREIGN KEY (course_id) REFERENCES courses (id)
                    )""".formatted(product.isMySqlFamily() ? "TIMESTAMP(6)" : "TIMESTAMPTZ"));
            ddl.execute("CREATE INDEX enrollments_course ON enrollments (course_id)");
        }
    }

    /**
     * Fills {@code students} and {@code courses}. There are about three seats per student: the
     * courses fill up as the run goes on, and then some enrolments are refused.
     */
    static void populate(DataSource dataSource, int students, int courses) throws SQLException {
        Random random = new Random(42);
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement insert =
                    connection.prepareStatement("INSERT INTO students (id, name) VALUES (?, ?)")) {
                for (int id = 1; id <= students; id++) {
                    insert.setLong(1, id);
                    insert.setString(2, studentName(random));
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            List<String> titles = courseTitles(courses, random);
            int averageCapacity = Math.max(2, 3 * students / courses);
            try (PreparedStatement insert =
                    connection.prepareStatement("INSERT INTO courses (id, title, capacity) VALUES (?, ?, ?)")) {
                for (int id = 1; id <= courses; id++) {
                    insert.setLong(1, id);
                    insert.setString(2, titles.get(id - 1));
                    insert.setInt(3, averageCapacity / 2 + random.nextInt(averageCapacity));
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            connection.commit();
        }
    }

    private static String studentName(Random random) {
        return FIRST_NAMES[random.nextInt(FIRST_NAMES.length)] + " " + LAST_NAMES[random.nextInt(LAST_NAMES.length)];
    }

    /**
     * {@code count} distinct titles: "Introduction to Distributed Systems", "Advanced Database
     * Internals", then other combinations of a level and a subject in random order.
     */
    private static List<String> courseTitles(int count, Random random) {
        List<String> all = new ArrayList<>();
        for (String subject : SUBJECTS) {
            for (String level : LEVELS) {
                all.add(level + " " + subject);
            }
        }
        Collections.shuffle(all, random);
        List<String> first = List.of("Introduction to Distributed Systems", "Advanced Database Internals");
        all.removeAll(first);
        all.addAll(0, first);
        Set<String> titles = new LinkedHashSet<>(all.subList(0, Math.min(count, all.size())));
        for (int part = 2; titles.size() < count; part++) { // more courses than combinations: add parts
            for (String title : all) {
                if (titles.size() == count) {
                    break;
                }
                titles.add(title + ", Part " + part);
            }
        }
        return new ArrayList<>(titles);
    }
}
