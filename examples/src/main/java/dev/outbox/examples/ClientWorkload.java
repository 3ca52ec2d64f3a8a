package dev.outbox.examples;

import dev.outbox.examples.Enrollments.Rejected;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application's users: client threads that enroll random students in random courses and cancel
 * enrolments, each operation one transaction, until the operations are done or the time is up.
 * Counts what happened. Thread-safe.
 */
final class ClientWorkload {

    private static final Logger LOG = LoggerFactory.getLogger(ClientWorkload.class);

    /** Percent of the operations that are enrolments; the others are cancellations. */
    private static final int ENROLL_PERCENT = 50;

    private final Enrollments service;
    private final DataSource dataSource;
    private final int clients;
    private final long operations;
    private final Optional<Duration> duration;
    private long startNanos;
    private long deadlineNanos; // set before the threads start, read by them
    private final int students;
    private final int courses;
    private final List<Thread> threads = new ArrayList<>();

    private final AtomicLong started = new AtomicLong();
    private final AtomicLong enrolled = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<Rejected.Reason, AtomicLong> rejected = new EnumMap<>(Rejected.Reason.class);

    ClientWorkload(Enrollments service, DataSource dataSource, Settings settings) {
        this.service = service;
        this.dataSource = dataSource;
        this.clients = settings.clients();
        this.operations = settings.operations();
        this.duration = settings.duration();
        this.students = settings.students();
        this.courses = settings.courses();
        for (Rejected.Reason reason : Rejected.Reason.values()) {
            rejected.put(reason, new AtomicLong());
        }
    }

    /** Starts the client threads and returns. */
    void start() {
        startNanos = System.nanoTime();
        deadlineNanos = duration.map(d -> startNanos + d.toNanos()).orElse(Long.MAX_VALUE);
        for (int i = 1; i <= clients; i++) {
            Thread thread = new Thread(this::runClient, "client-" + i);
            threads.add(thread);
            thread.start();
        }
    }

    /** Waits up to {@code timeout} for every client to finish; returns whether they all did. */
    boolean await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            thread.join(Math.max(1, left / 1_000_000));
            if (thread.isAlive()) {
                return false;
            }
        }
        return true;
    }

    private void runClient() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (started.incrementAndGet() <= operations && System.nanoTime() < deadlineNanos) {
            long student = 1 + random.nextInt(students);
            try {
                if (random.nextInt(100) < ENROLL_PERCENT) {
                    service.enroll(student, 1 + random.nextInt(courses));
                    enrolled.incrementAndGet();
                } else {
                    // Mostly one of the student's courses; sometimes any course, which is refused
                    // when the student is not enrolled in it.
                    OptionalLong course = random.nextInt(10) == 0 ? OptionalLong.empty() : someCourseOf(student);
                    service.cancel(student, course.orElse(1 + random.nextInt(courses)));
                    cancelled.incrementAndGet();
                }
            } catch (Rejected rejection) {
                rejected.get(rejection.reason).incrementAndGet();
            } catch (RuntimeException | SQLException e) {
                if (failed.incrementAndGet() <= 5) {
                    LOG.warn("operation failed (the transaction was rolled back)", e);
                }
            }
        }
    }

    /** One of the courses the student is enrolled in, chosen at random (a student has a few). */
    private OptionalLong someCourseOf(long student) throws SQLException {
        List<Long> courses = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select =
                        connection.prepareStatement("SELECT course_id FROM enrollments WHERE student_id = ?")) {
            select.setLong(1, student);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    courses.add(rs.getLong(1));
                }
            }
        }
        return courses.isEmpty()
                ? OptionalLong.empty()
                : OptionalLong.of(courses.get(ThreadLocalRandom.current().nextInt(courses.size())));
    }

    /** Operations finished: committed, rejected or failed. */
    long done() {
        return committed() + rejected() + failed();
    }

    /** Operations that committed; each appended exactly one event. */
    long committed() {
        return enrolled.get() + cancelled.get();
    }

    long enrolled() {
        return enrolled.get();
    }

    long cancelled() {
        return cancelled.get();
    }

    long rejected() {
        return rejected.values().stream().mapToLong(AtomicLong::get).sum();
    }

    long rejected(Rejected.Reason reason) {
        return rejected.get(reason).get();
    }

    /** Operations that failed for another reason than a business rule (none expected). */
    long failed() {
        return failed.get();
    }

    /** How far the run is, from 0 to 1, by operations or by time, whichever is further. */
    double fractionDone() {
        double byOperations = operations == Long.MAX_VALUE ? 0 : (double) done() / operations;
        double byTime = deadlineNanos == Long.MAX_VALUE
                ? 0
                : (double) (System.nanoTime() - startNanos) / (deadlineNanos - startNanos);
        return Math.max(byOperations, byTime);
    }
}
