package dev.outbox.examples;

import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxTables;
import dev.outbox.OutboxWriter;
import dev.outbox.StartPosition;
import dev.outbox.micrometer.OutboxMetrics;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.mysql.MariaDbDialect;
import dev.outbox.mysql.MySqlDialect;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.spi.OutboxDialect;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.logging.Level;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The course-enrolment example: derived data kept current from a change log ("Designing
 * Data-Intensive Applications", chapter 11).
 *
 * <p>Client threads enroll students in courses and cancel enrolments; each operation is one
 * transaction that changes the business tables and appends an event to the outbox. A relay turns the
 * outbox into a gap-free, commit-ordered log and feeds two consumers: a read-model table in the same
 * database (exactly once) and a Lucene search index on local disk (at least once, idempotent). At the
 * end the app waits until both consumers have caught up with the log, then checks both derived
 * systems against the business tables and prints {@code consistent}, or the differences and exits
 * with status 1.
 *
 * <p>Run {@code --help} for the options; the README shows the Maven command.
 */
public final class CourseEnrollmentApp {

    private static final Logger LOG = LoggerFactory.getLogger(CourseEnrollmentApp.class);

    /**
     * Liquibase logs through java.util.logging, to the console, and prints an update summary of its
     * own; keep both for warnings only. (Held in a field: java.util.logging keeps loggers weakly.)
     */
    private static final java.util.logging.Logger LIQUIBASE_LOG = quietLiquibase();

    /** How long the consumers may take to catch up after the clients stop. */
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(2);

    /** What a run did and found. */
    public record Report(
            long operations,
            long eventsCommitted,
            long rejected,
            long failed,
            long enrollments,
            long searchHits,
            Duration elapsed,
            ConsistencyCheck.Result check) {

        public boolean consistent() {
            return check.consistent();
        }
    }

    /**
     * How an edition of the example puts its parts together: the writer and the service, the relay
     * and its consumers, the meters. This class's own edition uses the library directly; {@code
     * dev.outbox.examples.spring} wires the same parts as a Spring Boot application.
     */
    @FunctionalInterface
    public interface Wiring {
        /**
         * Creates and starts the parts on {@code database}, whose business tables exist and are
         * filled; the search index lives in {@code indexDir}.
         */
        Wired wire(Settings settings, ExampleDatabase database, Path indexDir) throws Exception;
    }

    /**
     * The started parts of an edition. Closing it stops the relay and releases the rest.
     *
     * @param tables the outbox's tables, in the example's schema
     * @param samplingInterval how often the meters' gauges are sampled
     * @param kafka the path into Kafka, when the run publishes there, else {@code null}
     * @param resources what closing it closes
     */
    public record Wired(
            OutboxTables tables,
            Enrollments service,
            OutboxRelay relay,
            SearchIndex searchIndex,
            MeterRegistry meters,
            Duration samplingInterval,
            @Nullable KafkaPath kafka,
            AutoCloseable resources)
            implements AutoCloseable {
        @Override
        public void close() throws Exception {
            resources.close();
        }
    }

    private CourseEnrollmentApp() {}

    public static void main(String[] args) {
        main(args, CourseEnrollmentApp::wire);
    }

    /**
     * Runs the example as {@code wiring} puts it together; exits with status 0 when consistent, 1
     * when not, 2 for bad arguments and 3 when the run failed.
     */
    public static void main(String[] args, Wiring wiring) {
        Optional<Settings> settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(Settings.USAGE);
            System.exit(2);
            return;
        }
        if (settings.isEmpty()) {
            System.out.print(Settings.USAGE);
            return;
        }
        int status;
        try {
            status = run(settings.get(), wiring).consistent() ? 0 : 1;
        } catch (Exception e) {
            LOG.error("the example failed", e);
            status = 3;
        }
        if (status != 0) {
            System.exit(status); // with exec:java, Maven exits with this status
        }
    }

    /** Runs the whole example and returns what it found; logs its progress and result. */
    public static Report run(Settings settings) throws Exception {
        return run(settings, CourseEnrollmentApp::wire);
    }

    /** Runs the whole example as {@code wiring} puts it together; logs its progress and result. */
    public static Report run(Settings settings, Wiring wiring) throws Exception {
        long startNanos = System.nanoTime();
        Path indexDir = settings.indexDir().isPresent()
                ? Files.createDirectories(settings.indexDir().get())
                : Files.createTempDirectory("course-search-index-");
        // Pool: the clients, the relay's sequencer and two consumers, the progress reader, spare.
        try (ExampleDatabase database = ExampleDatabase.open(settings, settings.clients() + 6)) {
            LOG.info("database: {}, schema {}", database.description(), settings.schema());
            return run(settings, database, indexDir, startNanos, wiring);
        } finally {
            if (settings.indexDir().isEmpty()) {
                deleteRecursively(indexDir);
            }
        }
    }

    private static Report run(
            Settings settings, ExampleDatabase database, Path indexDir, long startNanos, Wiring wiring)
            throws Exception {
        DataSource dataSource = database.dataSource();
        CourseCatalog.createTables(dataSource, database.product());
        CourseCatalog.populate(dataSource, settings.students(), settings.courses());
        EnrollmentCountsProjection.createTable(dataSource);
        LOG.info(
                "{} students, {} courses; search index in {}; {} clients, {}",
                settings.students(),
                settings.courses(),
                indexDir,
                settings.clients(),
                describeLimit(settings));

        ClientWorkload workload;
        ConsistencyCheck.Result result;
        long enrollments;
        try (Wired wired = wiring.wire(settings, database, indexDir)) {
            OutboxMonitor monitor = new OutboxMonitor(dataSource, wired.tables());
            OutboxRelay relay = wired.relay();
            KafkaPath kafka = wired.kafka();
            workload = new ClientWorkload(wired.service(), dataSource, settings);
            workload.start();
            Progress progress = new Progress(monitor, workload, startNanos);
            boolean replayed = !settings.replay();
            while (!workload.await(Duration.ofSeconds(1))) {
                progress.log();
                if (!replayed && workload.fractionDone() >= 0.5) {
                    replayed = rewindSearchIndex(relay, monitor);
                }
            }
            progress.log();
            LOG.info(
                    "clients done: {} operations, {} committed ({} enrolments, {} cancellations), {} rejected"
                            + " (already enrolled {}, course full {}, not enrolled {}), {} failed",
                    workload.done(),
                    workload.committed(),
                    workload.enrolled(),
                    workload.cancelled(),
                    workload.rejected(),
                    workload.rejected(Enrollments.Rejected.Reason.ALREADY_ENROLLED),
                    workload.rejected(Enrollments.Rejected.Reason.COURSE_FULL),
                    workload.rejected(Enrollments.Rejected.Reason.NOT_ENROLLED),
                    workload.failed());
            progress.awaitCaughtUp(workload.committed(), kafka, CATCH_UP_TIMEOUT);
            result = new ConsistencyCheck(
                            dataSource,
                            database.product(),
                            monitor,
                            wired.searchIndex(),
                            kafka == null ? null : kafka.counts())
                    .run(workload.committed(), settings.search());
            Thread.sleep(wired.samplingInterval().toMillis() * 2); // a sample taken after the catch-up
            LOG.info("health: {}", relay.health().status());
            LOG.info("meters:");
            MeterLines.of(wired.meters()).forEach(line -> LOG.info("  {}", line));
            enrollments = wired.searchIndex().committedEnrollments().enrolled().size();
        }

        Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
        result.findings().forEach(LOG::info);
        if (result.consistent()) {
            LOG.info(String.format(
                    "consistent: %,d events from %,d operations in %.1f s; %s agree with the %,d enrolments"
                            + " of the business tables",
                    workload.committed(),
                    workload.done(),
                    elapsed.toMillis() / 1000.0,
                    settings.kafka()
                            ? "the read model, the search index and the Kafka consumer"
                            : "the read model and the search index",
                    enrollments));
        } else {
            result.differences().forEach(difference -> LOG.error("difference: {}", difference));
            LOG.error("INCONSISTENT: {} differences", result.differences().size());
        }
        return new Report(
                workload.done(),
                workload.committed(),
                workload.rejected(),
                workload.failed(),
                enrollments,
                result.searchHits(),
                elapsed,
                result);
    }

    /** This edition: the library's API, wired by hand. */
    private static Wired wire(Settings settings, ExampleDatabase database, Path indexDir) throws Exception {
        DataSource dataSource = database.dataSource();
        LOG.info("creating the outbox tables in schema {} (Liquibase)", settings.schema());
        // [readme:migrate]
        OutboxTables tables = OutboxTables.of(settings.schema(), "outbox_"); // course_example.outbox_*
        OutboxMigrations.migrate(dataSource, tables);
        // [readme:end]

        // [readme:setup]
        OutboxDialect dialect = switch (database.product()) { // from the JDBC URL
            case POSTGRESQL -> PostgresDialect.create();
            case MARIADB -> MariaDbDialect.create();
            case MYSQL -> MySqlDialect.create();
        };
        OutboxWriter writer = OutboxWriter.builder(dialect).tables(tables).build();
        // [readme:end]
        EnrollmentService service = new EnrollmentService(dataSource, writer);

        SearchIndex searchIndex = new SearchIndex(indexDir);
        EnrollmentCountsProjection enrollmentCounts = new EnrollmentCountsProjection(database.product());
        // [readme:consumers]
        OutboxRelay.Builder relayBuilder = OutboxRelay.builder(dataSource, dialect)
                .tables(tables)
                .consumer(OutboxConsumer.transactional("enrollment-counts", enrollmentCounts)
                        .startFrom(StartPosition.BEGINNING) // derived from the whole log
                        .batchSize(500)
                        .build())
                .consumer(OutboxConsumer.atLeastOnce("search-index", searchIndex)
                        .startFrom(StartPosition.BEGINNING)
                        .batchSize(500)
                        .build());
        // [readme:end]
        KafkaPath kafka = settings.kafka() ? KafkaPath.start() : null;
        if (kafka != null) {
            relayBuilder.consumer(kafka.publishingConsumer());
        }
        OutboxRelay relay = relayBuilder.build().start();
        // [readme:metrics]
        MeterRegistry meters = new SimpleMeterRegistry(); // your application's registry
        OutboxMetrics metrics = OutboxMetrics.builder(relay, meters)
                .samplingInterval(Duration.ofSeconds(1)) // the default is 10 s
                .bind();
        // [readme:end]
        return new Wired(tables, service, relay, searchIndex, meters, metrics.samplingInterval(), kafka, () -> {
            try (searchIndex;
                    kafka;
                    relay;
                    metrics) {
                // closed in reverse: the meters, the relay, the Kafka path, then the index
            }
        });
    }

    /**
     * Moves the search-index consumer's checkpoint back to half of where it is, as a crash before
     * the checkpoint was saved would: the events after it are delivered again. The index skips what
     * it has applied already, so it ends the same as if nothing had happened.
     *
     * @return whether it rewound (not before the consumer has processed something)
     */
    private static boolean rewindSearchIndex(OutboxRelay relay, OutboxMonitor monitor) throws SQLException {
        long checkpoint = monitor.read().checkpoint(SearchIndex.CONSUMER_NAME);
        if (checkpoint < 2) {
            return false;
        }
        long from = checkpoint / 2 + 1;
        relay.resetConsumer(SearchIndex.CONSUMER_NAME, from);
        LOG.info(
                "rewound consumer {} from seq {} to {}: it receives events {}..{} again",
                SearchIndex.CONSUMER_NAME,
                checkpoint + 1,
                from,
                from,
                checkpoint);
        return true;
    }

    private static java.util.logging.Logger quietLiquibase() {
        for (String property : new String[] {"liquibase.uiService", "liquibase.command.showSummaryOutput"}) {
            System.setProperty(
                    property, System.getProperty(property, property.endsWith("uiService") ? "LOGGER" : "LOG"));
        }
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("liquibase");
        logger.setLevel(Level.WARNING);
        return logger;
    }

    private static String describeLimit(Settings settings) {
        String operations = settings.operations() == Long.MAX_VALUE ? "" : settings.operations() + " operations";
        String duration = settings.duration().map(d -> d.toSeconds() + " s").orElse("");
        return operations.isEmpty() ? duration : duration.isEmpty() ? operations : operations + " or " + duration;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** Logs progress once a second, and waits for the consumers to catch up with the log. */
    private static final class Progress {
        private final OutboxMonitor monitor;
        private final ClientWorkload workload;
        private final long startNanos;

        Progress(OutboxMonitor monitor, ClientWorkload workload, long startNanos) {
            this.monitor = monitor;
            this.workload = workload;
            this.startNanos = startNanos;
        }

        void log() {
            OutboxMonitor.Snapshot s;
            try {
                s = monitor.read();
            } catch (SQLException e) {
                LOG.warn("cannot read the outbox's progress: {}", e.getMessage());
                return;
            }
            long committed = workload.committed();
            long rejected = workload.rejected();
            String toKafka = s.checkpoints().containsKey(KafkaEnrollmentCounts.CONSUMER_NAME)
                    ? String.format(
                            "  %s @ %,7d",
                            KafkaEnrollmentCounts.CONSUMER_NAME, s.checkpoint(KafkaEnrollmentCounts.CONSUMER_NAME))
                    : "";
            LOG.info(String.format(
                    "%5.1f s  ops %,7d (%,d committed, %,d rejected)  queued %,5d  log seq %,7d  %s @ %,7d"
                            + "  %s @ %,7d%s",
                    (System.nanoTime() - startNanos) / 1e9,
                    committed + rejected + workload.failed(),
                    committed,
                    rejected,
                    s.queued(),
                    s.logHead(),
                    EnrollmentCountsProjection.CONSUMER_NAME,
                    s.checkpoint(EnrollmentCountsProjection.CONSUMER_NAME),
                    SearchIndex.CONSUMER_NAME,
                    s.checkpoint(SearchIndex.CONSUMER_NAME),
                    toKafka));
        }

        /**
         * Waits until the log holds {@code events} entries and every consumer has processed them
         * (with Kafka, also until the Kafka consumer has read them).
         */
        void awaitCaughtUp(long events, @Nullable KafkaPath kafka, Duration timeout)
                throws SQLException, InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            long nextLog = System.nanoTime() + 1_000_000_000L;
            while (true) {
                OutboxMonitor.Snapshot s = monitor.read();
                if (s.logHead() >= events
                        && s.checkpoint(EnrollmentCountsProjection.CONSUMER_NAME) >= events
                        && s.checkpoint(SearchIndex.CONSUMER_NAME) >= events
                        && (kafka == null
                                || (s.checkpoint(KafkaEnrollmentCounts.CONSUMER_NAME) >= events
                                        && kafka.counts().hasRead(events)))) {
                    log();
                    LOG.info("every consumer caught up with the log at seq {}", s.logHead());
                    return;
                }
                if (System.nanoTime() > deadline) {
                    log();
                    LOG.warn("the consumers did not catch up within {} s; checking anyway", timeout.toSeconds());
                    return;
                }
                if (System.nanoTime() > nextLog) {
                    log();
                    nextLog += 1_000_000_000L;
                }
                Thread.sleep(50);
            }
        }
    }
}
