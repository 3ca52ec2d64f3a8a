package dev.outbox.examples;

/**
 * The example on PostgreSQL: the local server at {@code 127.0.0.1:5432} (database {@code test}, user
 * {@code postgres}), or the one named by {@code OUTBOX_TEST_POSTGRES_URL} (with {@code
 * OUTBOX_TEST_POSTGRES_USER} and {@code OUTBOX_TEST_POSTGRES_PASSWORD}).
 */
class PostgresCourseEnrollmentAppTest extends AbstractCourseEnrollmentAppTest {

    @Override
    Server server() {
        return Server.fromEnvironment(
                "OUTBOX_TEST_POSTGRES",
                "jdbc:postgresql://127.0.0.1:5432/test",
                "postgres",
                "Start a local PostgreSQL on 127.0.0.1:5432 with a database 'test' that user 'postgres' can reach,"
                        + " or set OUTBOX_TEST_POSTGRES_URL (and _USER, _PASSWORD).");
    }
}
