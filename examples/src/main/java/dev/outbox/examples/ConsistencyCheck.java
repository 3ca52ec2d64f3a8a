package dev.outbox.examples;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Compares the derived systems with the business tables once every consumer has caught up: the
 * log with what the clients committed, the read model with a {@code GROUP BY} over {@code
 * enrollments}, the search index's documents with the {@code enrollments} rows, and a sample search
 * with the same question asked of PostgreSQL's own full-text search.
 */
final class ConsistencyCheck {

    private static final int MAX_LISTED = 10;

    /** What was found: lines to print, and the differences (none when consistent). */
    record Result(List<String> findings, List<String> differences) {
        boolean consistent() {
            return differences.isEmpty();
        }
    }

    private final DataSource dataSource;
    private final OutboxMonitor monitor;
    private final SearchIndex searchIndex;
    private final List<String> findings = new ArrayList<>();
    private final List<String> differences = new ArrayList<>();

    ConsistencyCheck(DataSource dataSource, OutboxMonitor monitor, SearchIndex searchIndex) {
        this.dataSource = dataSource;
        this.monitor = monitor;
        this.searchIndex = searchIndex;
    }

    Result run(long eventsCommitted, String searchWord) throws SQLException, IOException {
        checkLog(eventsCommitted);
        checkReadModel();
        checkSearchIndex();
        checkSearch(searchWord);
        return new Result(List.copyOf(findings), List.copyOf(differences));
    }

    /** Every committed event is in the log once, seq 1..n without a gap; nothing is left queued. */
    private void checkLog(long eventsCommitted) throws SQLException {
        OutboxMonitor.LogStats log = monitor.logStats();
        OutboxMonitor.Snapshot snapshot = monitor.read();
        findings.add(String.format(
                "log: %,d events, seq %d..%d%s; %d left in the queue",
                log.entries(), log.minSeq(), log.maxSeq(), log.gapFree() ? " without gaps" : "", snapshot.queued()));
        if (log.entries() != eventsCommitted) {
            differences.add(String.format(
                    "the clients committed %,d events but the log holds %,d", eventsCommitted, log.entries()));
        }
        if (!log.gapFree()) {
            differences.add("the log's seqs are not 1.." + log.entries() + ": " + log);
        }
        if (snapshot.queued() != 0) {
            differences.add(snapshot.queued() + " events are still queued");
        }
        checkOrder();
        for (String consumer : List.of(EnrollmentCountsProjection.CONSUMER_NAME, SearchIndex.CONSUMER_NAME)) {
            if (snapshot.checkpoint(consumer) != log.maxSeq()) {
                differences.add(String.format(
                        "consumer %s is at seq %d, the log at %d",
                        consumer, snapshot.checkpoint(consumer), log.maxSeq()));
            }
        }
    }

    /**
     * The ordering guarantee, seen in the log: transactions on one course lock its row, so the
     * events of one enrolment must be in commit order, which for a valid history means they
     * alternate enrolled, cancelled, enrolled, ... starting with enrolled.
     */
    private void checkOrder() throws SQLException {
        String sql = """
                SELECT count(DISTINCT enrollment),
                       count(*) FILTER (WHERE event_type = coalesce(previous, 'EnrollmentCancelled'))
                FROM (SELECT event_type,
                             aggregate_id || ':' || (payload::json ->> 'studentId') AS enrollment,
                             lag(event_type) OVER (PARTITION BY aggregate_id, payload::json ->> 'studentId'
                                                   ORDER BY seq) AS previous
                      FROM %s) events""".formatted(monitor.logTable());
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            long enrollments = rs.getLong(1);
            long outOfOrder = rs.getLong(2);
            findings.add(String.format(
                    "log order: the events of each of %,d enrolments alternate enrolled/cancelled in seq order%s",
                    enrollments, outOfOrder == 0 ? "" : ", except " + outOfOrder));
            if (outOfOrder != 0) {
                differences.add(outOfOrder + " events of the log are out of order for their enrolment");
            }
        }
    }

    /** {@code course_enrollment_counts} equals a GROUP BY over the business table, course by course. */
    private void checkReadModel() throws SQLException {
        String compare = """
                SELECT coalesce(e.course_id, r.course_id), coalesce(e.enrolled, 0), coalesce(r.enrolled_count, 0)
                FROM (SELECT course_id, count(*) AS enrolled FROM enrollments GROUP BY course_id) e
                FULL JOIN course_enrollment_counts r ON r.course_id = e.course_id
                ORDER BY 1""";
        long courses = 0;
        long total = 0;
        List<String> wrong = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(compare)) {
            while (rs.next()) {
                courses++;
                total += rs.getLong(3);
                if (rs.getLong(2) != rs.getLong(3)) {
                    wrong.add(String.format(
                            "course %d: %d enrolled, read model says %d", rs.getLong(1), rs.getLong(2), rs.getLong(3)));
                }
            }
        }
        findings.add(String.format(
                "read model course_enrollment_counts: %,d enrolments in %d courses, %s GROUP BY over enrollments",
                total, courses, wrong.isEmpty() ? "equal to" : "DIFFERENT from"));
        if (!wrong.isEmpty()) {
            differences.add("read model differs in " + wrong.size() + " courses: " + listed(wrong));
        }
    }

    /** The committed index has one enrolled document per row of {@code enrollments}, and no other. */
    private void checkSearchIndex() throws SQLException, IOException {
        Set<String> rows = enrollmentKeys("SELECT student_id, course_id FROM enrollments", null);
        SearchIndex.Contents index = searchIndex.committedEnrollments();
        findings.add(String.format(
                "business tables: %,d enrolments; search index: %,d enrolled documents (+ %,d tombstones of"
                        + " cancelled enrolments); %,d documents written, %,d redelivered events skipped",
                rows.size(),
                index.enrolled().size(),
                index.tombstones(),
                searchIndex.updates(),
                searchIndex.alreadyApplied()));
        compareKeys("search index", index.enrolled(), rows);
    }

    /**
     * Asks the index for enrolments in courses whose title matches {@code word}, and PostgreSQL's
     * {@code english} full-text search the same question of the business tables.
     */
    private void checkSearch(String word) throws SQLException, IOException {
        List<SearchIndex.Hit> hits = searchIndex.search(word);
        Set<String> expected = enrollmentKeys("""
                SELECT e.student_id, e.course_id FROM enrollments e JOIN courses c ON c.id = e.course_id
                WHERE to_tsvector('english', c.title) @@ plainto_tsquery('english', ?)""", word);
        Set<String> titles =
                hits.stream().map(SearchIndex.Hit::courseTitle).collect(Collectors.toCollection(TreeSet::new));
        findings.add(String.format(
                "search \"%s\": %,d enrolments in %d courses %s; PostgreSQL full-text search finds %,d",
                word, hits.size(), titles.size(), titles, expected.size()));
        hits.stream()
                .sorted(Comparator.comparingLong(SearchIndex.Hit::studentId)
                        .thenComparingLong(SearchIndex.Hit::courseId))
                .limit(5)
                .forEach(hit -> findings.add(String.format(
                        "  %s (student %d) in %s", hit.studentName(), hit.studentId(), hit.courseTitle())));
        compareKeys(
                "search \"" + word + "\"",
                hits.stream().map(SearchIndex.Hit::enrollmentKey).collect(Collectors.toSet()),
                expected);
    }

    private Set<String> enrollmentKeys(String sql, @Nullable String parameter) throws SQLException {
        Set<String> keys = new HashSet<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(sql)) {
            if (parameter != null) {
                select.setString(1, parameter);
            }
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getLong(1) + ":" + rs.getLong(2));
                }
            }
        }
        return keys;
    }

    private void compareKeys(String what, Set<String> derived, Set<String> business) {
        Set<String> missing = new TreeSet<>(business);
        missing.removeAll(derived);
        Set<String> extra = new TreeSet<>(derived);
        extra.removeAll(business);
        if (!missing.isEmpty()) {
            differences.add(what + " lacks " + missing.size() + " enrolments (student:course): " + listed(missing));
        }
        if (!extra.isEmpty()) {
            differences.add(what + " has " + extra.size() + " enrolments that do not exist: " + listed(extra));
        }
    }

    private static String listed(java.util.Collection<String> items) {
        return items.stream().limit(MAX_LISTED).collect(Collectors.joining(", "))
                + (items.size() > MAX_LISTED ? ", ..." : "");
    }
}
