package dev.outbox.examples;

import dev.outbox.EventHandler;
import dev.outbox.OutboxRecord;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.WordlistLoader;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field.Store;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.tartarus.snowball.ext.EnglishStemmer;

/**
 * A full-text search index of enrolments in a local Lucene directory: a system outside the
 * database, kept current from the log by an at-least-once consumer.
 *
 * <p>At least once means a batch may be delivered again (after a crash, a lost lease, or a consumer
 * reset), so applying an event must be idempotent. The index holds one document per enrolment key
 * ({@code studentId:courseId}) and stores in it the seq of the last event applied to it. An event
 * whose seq is not above that was applied already and is skipped, so a replay can never take a
 * document back to an older state. A cancellation does not delete the document: it turns it into a
 * tombstone ({@code status:cancelled}) that keeps the seq, for the same reason; searches filter on
 * {@code status:enrolled}. (Elasticsearch's external versioning works the same way.)
 *
 * <p>The index is committed at the end of every batch, before the relay saves the checkpoint: the
 * checkpoint never passes what the index has made durable.
 *
 * <p>The handler is called on the consumer's thread only; {@link #search} and {@link
 * #committedEnrollments} may be called from any thread.
 */
public final class SearchIndex implements EventHandler, Closeable {

    public static final String CONSUMER_NAME = "search-index";

    private static final String KEY = "key";
    private static final String STATUS = "status";
    private static final String SEQ = "seq";
    private static final String STUDENT_ID = "student_id";
    private static final String STUDENT_NAME = "student_name";
    private static final String COURSE_ID = "course_id";
    private static final String COURSE_TITLE = "course_title";
    private static final String COURSE_TITLE_WORDS = "course_title_words";
    private static final String ENROLLED = "enrolled";
    private static final String CANCELLED = "cancelled";

    /** A search result: one enrolment. */
    record Hit(long studentId, String studentName, long courseId, String courseTitle) {
        String enrollmentKey() {
            return studentId + ":" + courseId;
        }
    }

    /** What the committed index holds. */
    record Contents(Set<String> enrolled, int tombstones) {}

    private record Change(long seq, EnrollmentEvent event) {}

    private final Directory directory;
    /** English analysis for {@link #COURSE_TITLE}, words as written for {@link #COURSE_TITLE_WORDS}. */
    private final Analyzer analyzer =
            new PerFieldAnalyzerWrapper(new EnglishTextAnalyzer(), Map.of(COURSE_TITLE_WORDS, new WordAnalyzer()));

    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final AtomicLong updates = new AtomicLong();
    private final AtomicLong alreadyApplied = new AtomicLong();

    /** Opens the index in {@code dir}, replacing what it held: the index is rebuilt from the log. */
    public SearchIndex(Path dir) throws IOException {
        this.directory = FSDirectory.open(dir);
        this.writer = new IndexWriter(
                directory, new IndexWriterConfig(analyzer).setOpenMode(IndexWriterConfig.OpenMode.CREATE));
        this.writer.commit();
        this.searchers = new SearcherManager(writer, null);
    }

    // [readme:search-handler]
    @Override
    public void handle(List<OutboxRecord> batch) throws IOException {
        Map<String, List<Change>> byEnrollment = new LinkedHashMap<>();
        for (OutboxRecord record : batch) {
            EnrollmentEvent event = EnrollmentEvent.from(record);
            byEnrollment
                    .computeIfAbsent(event.enrollmentKey(), key -> new ArrayList<>())
                    .add(new Change(record.seq(), event));
        }
        searchers.maybeRefreshBlocking(); // sees every update made so far, committed or not
        IndexSearcher searcher = searchers.acquire();
        try {
            for (Map.Entry<String, List<Change>> enrollment : byEnrollment.entrySet()) {
                long appliedSeq = appliedSeq(searcher, enrollment.getKey());
                List<Change> changes = enrollment.getValue();
                alreadyApplied.addAndGet(
                        changes.stream().filter(c -> c.seq() <= appliedSeq).count());
                Change last = changes.get(changes.size() - 1); // the last one decides the document
                if (last.seq() > appliedSeq) {
                    writer.updateDocument(new Term(KEY, enrollment.getKey()), document(last));
                    updates.incrementAndGet();
                }
            }
        } finally {
            searchers.release(searcher);
        }
        writer.commit(); // durable before the relay saves the checkpoint
    }
    // [readme:end]

    /** The seq of the last event applied to the enrolment's document, or 0 if it has none. */
    private static long appliedSeq(IndexSearcher searcher, String key) throws IOException {
        TopDocs hits = searcher.search(new TermQuery(new Term(KEY, key)), 1);
        if (hits.scoreDocs.length == 0) {
            return 0;
        }
        Document document = searcher.storedFields().document(hits.scoreDocs[0].doc);
        return document.getField(SEQ).numericValue().longValue();
    }

    private static Document document(Change change) {
        EnrollmentEvent event = change.event();
        Document document = new Document();
        document.add(new StringField(KEY, event.enrollmentKey(), Store.YES));
        document.add(new StringField(STATUS, event.isEnrollment() ? ENROLLED : CANCELLED, Store.YES));
        document.add(new StoredField(SEQ, change.seq()));
        document.add(new StoredField(STUDENT_ID, event.studentId()));
        document.add(new TextField(STUDENT_NAME, event.studentName(), Store.YES));
        document.add(new StoredField(COURSE_ID, event.courseId()));
        document.add(new TextField(COURSE_TITLE, event.courseTitle(), Store.YES));
        document.add(new TextField(COURSE_TITLE_WORDS, event.courseTitle(), Store.NO));
        return document;
    }

    /**
     * Enrolments whose course title matches {@code word} in English: any form of the word
     * ("distribution" finds "Distributed"), stop words ignored. From the latest state of the index.
     */
    List<Hit> search(String word) throws IOException {
        return enrolled(titleQuery(COURSE_TITLE, word));
    }

    /**
     * Enrolments whose course title contains {@code word} as a whole word, in any case, in no other
     * form: "distributed" finds "Distributed Systems" but not "Distribution" or "Undistributed".
     * Titles are split into words at Unicode's word boundaries (UAX #29): at spaces, hyphens and
     * punctuation, never inside a run of letters, digits and underscores. From the latest state of
     * the index.
     */
    List<Hit> searchWord(String word) throws IOException {
        return enrolled(titleQuery(COURSE_TITLE_WORDS, word));
    }

    private Query titleQuery(String field, String word) {
        try {
            return new QueryParser(field, analyzer).parse(QueryParser.escape(word));
        } catch (ParseException e) {
            throw new IllegalArgumentException("cannot search for '" + word + "': " + e.getMessage(), e);
        }
    }

    private List<Hit> enrolled(Query title) throws IOException {
        Query query = new BooleanQuery.Builder()
                .add(title, Occur.MUST)
                .add(new TermQuery(new Term(STATUS, ENROLLED)), Occur.FILTER)
                .build();
        searchers.maybeRefreshBlocking();
        IndexSearcher searcher = searchers.acquire();
        try {
            TopDocs top =
                    searcher.search(query, Math.max(1, searcher.getIndexReader().maxDoc()));
            List<Hit> hits = new ArrayList<>();
            for (ScoreDoc scoreDoc : top.scoreDocs) {
                Document document = searcher.storedFields().document(scoreDoc.doc);
                hits.add(new Hit(
                        document.getField(STUDENT_ID).numericValue().longValue(),
                        document.get(STUDENT_NAME),
                        document.getField(COURSE_ID).numericValue().longValue(),
                        document.get(COURSE_TITLE)));
            }
            return hits;
        } finally {
            searchers.release(searcher);
        }
    }

    /**
     * The enrolment keys of the documents in the last <em>commit</em>, read with a new reader of the
     * directory: what a restarted process would find.
     */
    Contents committedEnrollments() throws IOException {
        try (DirectoryReader reader = DirectoryReader.open(directory)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            TopDocs all = searcher.search(new TermQuery(new Term(STATUS, ENROLLED)), Math.max(1, reader.maxDoc()));
            Set<String> enrolled = new HashSet<>();
            for (ScoreDoc scoreDoc : all.scoreDocs) {
                enrolled.add(searcher.storedFields().document(scoreDoc.doc).get(KEY));
            }
            int tombstones = searcher.count(new TermQuery(new Term(STATUS, CANCELLED)));
            return new Contents(enrolled, tombstones);
        }
    }

    /** Documents written (added, replaced or turned into tombstones). */
    long updates() {
        return updates.get();
    }

    /** Events delivered again whose effect the index held already, so they were skipped. */
    long alreadyApplied() {
        return alreadyApplied.get();
    }

    @Override
    public void close() throws IOException {
        searchers.close();
        writer.close();
        directory.close();
    }

    /** Tokenizes at Unicode word boundaries and lower-cases: the words as written, in any case. */
    private static final class WordAnalyzer extends Analyzer {
        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            Tokenizer source = new StandardTokenizer();
            return new TokenStreamComponents(source, new LowerCaseFilter(source));
        }
    }

    /**
     * Tokenizes, lower-cases, drops English stop words and stems with the Snowball English stemmer:
     * the same algorithm and stop-word source as PostgreSQL's {@code english} text-search
     * configuration, which the consistency check uses to ask the business tables the same question.
     */
    private static final class EnglishTextAnalyzer extends Analyzer {
        private static final CharArraySet STOP_WORDS = loadStopWords();

        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            Tokenizer source = new StandardTokenizer();
            TokenStream result = new LowerCaseFilter(source);
            result = new StopFilter(result, STOP_WORDS);
            result = new SnowballFilter(result, new EnglishStemmer());
            return new TokenStreamComponents(source, result);
        }

        private static CharArraySet loadStopWords() {
            try (Reader reader = new InputStreamReader(
                    Objects.requireNonNull(SnowballFilter.class.getResourceAsStream("english_stop.txt")),
                    StandardCharsets.UTF_8)) {
                return WordlistLoader.getSnowballWordSet(reader);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
