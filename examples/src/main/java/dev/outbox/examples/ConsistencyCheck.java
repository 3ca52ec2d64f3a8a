package dev.outbox.examples;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Compares the derived systems with the business tables once every consumer has caught up: the
 * log with what the clients committed, the read model with a {@code GROUP BY} over {@code
 * enrollments}, the search index's documents with the {@code enrollments} rows, and a sample search
 * with the same question asked of the database: PostgreSQL's full-text search, or a whole-word
 * {@code REGEXP} on MariaDB and MySQL. The SQL is the same on every database but for that search;
 * what SQL dialects spell differently (window functions over JSON, {@code FULL JOIN}) is compared
 * in Java.
 */
final class ConsistencyCheck {

    private static final int MAX_LISTED = 10;

    /**
     * What was found: lines to print, and the differences (none when consistent).
     *
     * @param searchHits enrolments the index found in the sample search
     */
    record Result(List<String> findings, List<String> differences, int searchHits) {
        boolean consistent() {
            return differences.isEmpty();
        }
    }

    private final DataSource dataSource;
    private final DatabaseProduct database;
    private final OutboxMonitor monitor;
    private final SearchIndex searchIndex;
    private final @Nullable KafkaEnrollmentCounts kafka;
    private final List<String> findings = new ArrayList<>();
    private final List<String> differences = new ArrayList<>();

    /** {@code kafka}: the Kafka consumer's counts, when the run publishes to Kafka, else {@code null}. */
    ConsistencyCheck(
            DataSource dataSource,
            DatabaseProduct database,
            OutboxMonitor monitor,
            SearchIndex searchIndex,
            @Nullable KafkaEnrollmentCounts kafka) {
        this.dataSource = dataSource;
        this.database = database;
        this.monitor = monitor;
        this.searchIndex = searchIndex;
        this.kafka = kafka;
    }

    Result run(long eventsCommitted, String searchWord) throws SQLException, IOException {
        checkLog(eventsCommitted);
        checkReadModel();
        if (kafka != null) {
            checkKafka(kafka.counts(), eventsCommitted);
        }
        checkSearchIndex();
        int searchHits = checkSearch(searchWord);
        return new Result(List.copyOf(findings), List.copyOf(differences), searchHits);
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
        List<String> consumers =
                new ArrayList<>(List.of(EnrollmentCountsProjection.CONSUMER_NAME, SearchIndex.CONSUMER_NAME));
        if (kafka != null) {
            consumers.add(KafkaEnrollmentCounts.CONSUMER_NAME);
        }
        for (String consumer : consumers) {
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
        Map<String, String> lastType = new HashMap<>(); // enrolment key -> type of its last event so far
        long outOfOrder = 0;
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(
                        "SELECT event_type, payload FROM " + monitor.logTable() + " ORDER BY seq")) {
            while (rs.next()) {
                EnrollmentEvent event = EnrollmentEvent.from(rs.getString(1), rs.getString(2));
                String previous = lastType.put(event.enrollmentKey(), event.type());
                if (event.type().equals(previous == null ? EnrollmentEvent.CANCELLED : previous)) {
                    outOfOrder++;
                }
            }
        }
        findings.add(String.format(
                "log order: the events of each of %,d enrolments alternate enrolled/cancelled in seq order%s",
                lastType.size(), outOfOrder == 0 ? "" : ", except " + outOfOrder));
        if (outOfOrder != 0) {
            differences.add(outOfOrder + " events of the log are out of order for their enrolment");
        }
    }

    /** {@code course_enrollment_counts} equals a GROUP BY over the business table, course by course. */
    private void checkReadModel() throws SQLException {
        compareCounts(
                "read model course_enrollment_counts",
                counts("SELECT course_id, enrolled_count FROM course_enrollment_counts"));
    }

    /**
     * The Kafka consumer read every committed event once, each enrolment's events in order, and
     * counts what the business tables hold.
     */
    private void checkKafka(KafkaEnrollmentCounts.Counts counts, long eventsCommitted) throws SQLException {
        findings.add(String.format(
                "Kafka topic %s (read_committed): %,d records, %d duplicates, %d out of order for their enrolment",
                KafkaEnrollmentCounts.TOPIC, counts.records(), counts.duplicates(), counts.outOfOrder()));
        if (counts.records() != eventsCommitted || counts.duplicates() != 0 || counts.outOfOrder() != 0) {
            differences.add(String.format(
                    "Kafka holds %,d records (%d duplicates, %d out of order) of %,d events committed",
                    counts.records(), counts.duplicates(), counts.outOfOrder(), eventsCommitted));
        }
        compareCounts("Kafka consumer's counts", counts.enrolledByCourse());
    }

    /** {@code derived} enrolments per course equal a GROUP BY over the business table, course by course. */
    private void compareCounts(String what, Map<Long, Long> derived) throws SQLException {
        Map<Long, Long> enrolled = counts("SELECT course_id, count(*) FROM enrollments GROUP BY course_id");
        Set<Long> courses = new TreeSet<>(enrolled.keySet());
        courses.addAll(derived.keySet());
        long total = 0;
        List<String> wrong = new ArrayList<>();
        for (long course : courses) {
            long expected = enrolled.getOrDefault(course, 0L);
            long actual = derived.getOrDefault(course, 0L);
            total += actual;
            if (expected != actual) {
                wrong.add(String.format("course %d: %d enrolled, %s says %d", course, expected, what, actual));
            }
        }
        findings.add(String.format(
                "%s: %,d enrolments in %d courses, %s GROUP BY over enrollments",
                what, total, courses.size(), wrong.isEmpty() ? "equal to" : "DIFFERENT from"));
        if (!wrong.isEmpty()) {
            differences.add(what + " differs in " + wrong.size() + " courses: " + listed(wrong));
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
     * Asks the index for enrolments in courses whose title matches {@code word} (one word of letters
     * and digits), and the database the same question of the business tables, with the same meaning
     * of "matches" on both sides:
     *
     * <ul>
     *   <li>PostgreSQL: in English, any form of the word. Its {@code english} text-search
     *       configuration and the index's English analysis both lower-case, drop stop words and apply
     *       the Snowball English stemmer.
     *   <li>MariaDB and MySQL: the word itself, whole, in any case. Their FULLTEXT indexes do not stem,
     *       and what they find depends on server settings (minimum word length, stop-word table), so
     *       the question is a {@code REGEXP} instead, case-insensitive, between word boundaries; the
     *       index answers it from a field analysed without stemming or stop words.
     * </ul>
     *
     * @return the enrolments the index found
     */
    private int checkSearch(String word) throws SQLException, IOException {
        if (!word.matches("[A-Za-z0-9]+")) { // as Settings requires: a word, and safe in a pattern
            throw new IllegalArgumentException("the sample search needs one word of letters and digits, was " + word);
        }
        String join = "SELECT e.student_id, e.course_id FROM enrollments e JOIN courses c ON c.id = e.course_id";
        List<SearchIndex.Hit> hits;
        Set<String> expected;
        String question;
        if (database == DatabaseProduct.POSTGRESQL) {
            hits = searchIndex.search(word);
            expected = enrollmentKeys(
                    join + " WHERE to_tsvector('english', c.title) @@ plainto_tsquery('english', ?)", word);
            question = "PostgreSQL full-text search (english) finds";
        } else {
            hits = searchIndex.searchWord(word);
            String pattern = "(?i)\\b" + word + "\\b";
            expected = enrollmentKeys(join + " WHERE c.title REGEXP ?", pattern);
            question = database + " REGEXP '" + pattern + "' finds";
        }
        Set<String> titles =
                hits.stream().map(SearchIndex.Hit::courseTitle).collect(Collectors.toCollection(TreeSet::new));
        findings.add(String.format(
                "search \"%s\": %,d enrolments in %d courses %s; %s %,d",
                word, hits.size(), titles.size(), titles, question, expected.size()));
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
        return hits.size();
    }

    /** The two columns of a query as a map from the first to the second. */
    private Map<Long, Long> counts(String sql) throws SQLException {
        Map<Long, Long> counts = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                counts.put(rs.getLong(1), rs.getLong(2));
            }
        }
        return counts;
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

    private static String listed(Collection<String> items) {
        return items.stream().limit(MAX_LISTED).collect(Collectors.joining(", "))
                + (items.size() > MAX_LISTED ? ", ..." : "");
    }
}
