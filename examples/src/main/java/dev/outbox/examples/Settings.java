package dev.outbox.examples;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The example's command-line settings.
 *
 * @param clients concurrent client threads, each running one transaction at a time
 * @param operations how many operations the clients run in total (enrolments and cancellations,
 *     committed or rejected)
 * @param duration if set, the clients stop after this long even if {@code operations} are not done
 * @param students rows of the {@code students} table
 * @param courses rows of the {@code courses} table
 * @param jdbcUrl the server to use ({@code jdbc:postgresql:}, {@code jdbc:mariadb:} or {@code
 *     jdbc:mysql:}); empty: start an embedded PostgreSQL
 * @param user database user for {@code jdbcUrl}
 * @param password database password for {@code jdbcUrl} (from {@value #PASSWORD_VARIABLE}), or empty
 * @param schema the schema the example owns (on MariaDB and MySQL, a database): dropped and created
 *     again at start
 * @param indexDir where the Lucene index lives; empty: a temporary directory, deleted at the end
 * @param search the word of the sample search at the end: letters and digits only
 * @param replay whether to rewind the search-index consumer once, half-way, to show that the index
 *     stays correct when events are delivered again
 * @param kafka whether to start a local Kafka broker, publish the log to it exactly once and keep a
 *     third derived system from it (enrolment counts by a Kafka consumer)
 */
public record Settings(
        int clients,
        long operations,
        Optional<Duration> duration,
        int students,
        int courses,
        Optional<String> jdbcUrl,
        String user,
        Optional<String> password,
        String schema,
        Optional<Path> indexDir,
        String search,
        boolean replay,
        boolean kafka) {

    static final String USAGE = """
            Usage: CourseEnrollmentApp [options]
              --clients N          concurrent client threads (default 8)
              --operations N       operations to run in total (default 40000)
              --duration SECONDS   stop the clients after this long instead (default: no limit)
              --students N         students to create (default 2000)
              --courses N          courses to create (default 40)
              --jdbc-url URL       use this server: jdbc:postgresql://..., jdbc:mariadb://... or jdbc:mysql://...
                                   (default: start an embedded PostgreSQL)
              --user NAME          database user for --jdbc-url (default postgres; root on MariaDB and MySQL)
              --schema NAME        schema (on MariaDB and MySQL: database) to drop and create for the
                                   example (default course_example)
              --index-dir DIR      Lucene index directory (default: a temporary one); its content is replaced
              --search WORD        word of the sample search, letters and digits (default distributed)
              --no-replay          do not rewind the search-index consumer half-way
              --kafka              also start a local Kafka broker (a child JVM), publish the events to it
                                   exactly once, and check a Kafka consumer's enrolment counts too
              --help               print this and exit
            The database password for --jdbc-url, if it needs one, comes from the environment variable
            OUTBOX_EXAMPLE_PASSWORD: on a command line, every user of the machine could read it.
            """;

    /** The environment variable that holds the database password. */
    static final String PASSWORD_VARIABLE = "OUTBOX_EXAMPLE_PASSWORD";

    /** The settings with no arguments. */
    public static Settings defaults() {
        return parse().orElseThrow();
    }

    /**
     * Parses command-line arguments.
     *
     * @return the settings, or empty if {@code --help} was asked for
     * @throws IllegalArgumentException for an unknown option or a bad value, saying what was wrong
     */
    public static Optional<Settings> parse(String... args) {
        return parse(System.getenv(), args);
    }

    /** Like {@link #parse(String...)}, with the password from {@code environment}. */
    static Optional<Settings> parse(Map<String, String> environment, String... args) {
        int clients = 8;
        long operations = 40_000;
        Duration duration = null;
        int students = 2_000;
        int courses = 40;
        String jdbcUrl = null;
        String user = null;
        String password = environment.get(PASSWORD_VARIABLE);
        String schema = "course_example";
        Path indexDir = null;
        String search = "distributed";
        boolean replay = true;
        boolean kafka = false;
        boolean operationsGiven = false;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            switch (option) {
                case "--help", "-h" -> {
                    return Optional.empty();
                }
                case "--no-replay" -> replay = false;
                case "--kafka" -> kafka = true;
                default -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(option + " needs a value");
                    }
                    String value = args[++i];
                    switch (option) {
                        case "--clients" -> clients = positiveInt(option, value);
                        case "--operations" -> {
                            operations = positiveInt(option, value);
                            operationsGiven = true;
                        }
                        case "--duration" -> duration = Duration.ofSeconds(positiveInt(option, value));
                        case "--students" -> students = positiveInt(option, value);
                        case "--courses" -> courses = positiveInt(option, value);
                        case "--jdbc-url" -> jdbcUrl = value;
                        case "--user" -> user = value;
                        case "--password" ->
                            throw new IllegalArgumentException("--password is not taken: on a"
                                    + " command line, every user of the machine can read it; set the environment"
                                    + " variable " + PASSWORD_VARIABLE + " instead");
                        case "--schema" -> schema = value;
                        case "--index-dir" -> indexDir = Path.of(value);
                        case "--search" -> search = value;
                        default -> throw new IllegalArgumentException("unknown option " + option);
                    }
                }
            }
        }
        if (duration != null && !operationsGiven) {
            operations = Long.MAX_VALUE; // a duration alone: as many operations as fit in it
        }
        DatabaseProduct product = jdbcUrl == null ? DatabaseProduct.POSTGRESQL : DatabaseProduct.fromJdbcUrl(jdbcUrl);
        if (user == null) {
            user = product.isMySqlFamily() ? "root" : "postgres";
        }
        if (!schema.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("--schema must be a lower-case identifier, was " + schema);
        }
        if (!search.matches("[A-Za-z0-9]+")) {
            // One plain word means the same to Lucene and to each database's search (see
            // ConsistencyCheck); several words would be OR for Lucene's parser, AND for PostgreSQL's.
            throw new IllegalArgumentException("--search must be one word of letters and digits, was '" + search + "'");
        }
        return Optional.of(new Settings(
                clients,
                operations,
                Optional.ofNullable(duration),
                students,
                courses,
                Optional.ofNullable(jdbcUrl),
                user,
                Optional.ofNullable(password),
                schema,
                Optional.ofNullable(indexDir),
                search,
                replay,
                kafka));
    }

    /** The database: the one {@code jdbcUrl} names, or the embedded PostgreSQL. */
    DatabaseProduct product() {
        return jdbcUrl.map(DatabaseProduct::fromJdbcUrl).orElse(DatabaseProduct.POSTGRESQL);
    }

    private static int positiveInt(String option, String value) {
        try {
            int n = Integer.parseInt(value.replace("_", ""));
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " must be a positive integer, was " + value);
    }
}
