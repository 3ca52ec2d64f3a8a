package dev.outbox.examples;

/**
 * The example on MariaDB: the local server at {@code 127.0.0.1:3306} (database {@code test}, user
 * {@code root} without a password, no TLS), or the one named by {@code OUTBOX_TEST_MARIADB_URL}
 * (with {@code OUTBOX_TEST_MARIADB_USER} and {@code OUTBOX_TEST_MARIADB_PASSWORD}).
 */
class MariaDbCourseEnrollmentAppTest extends AbstractCourseEnrollmentAppTest {

    @Override
    Server server() {
        return Server.fromEnvironment(
                "OUTBOX_TEST_MARIADB",
                "jdbc:mariadb://127.0.0.1:3306/test?sslMode=disable", // the local server has no TLS
                "root",
                "Start a local MariaDB 10.6+ on 127.0.0.1:3306 (user root without a password, database test), or"
                        + " set OUTBOX_TEST_MARIADB_URL (and _USER, _PASSWORD); the user must be allowed to"
                        + " create databases.");
    }
}
