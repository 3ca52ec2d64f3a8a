package dev.outbox.cli;

import dev.outbox.mysql.MariaDbDialect;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.testkit.database.TestSchema;
import dev.outbox.testsupport.database.MySqlServers;
import dev.outbox.testsupport.database.MySqlTestDatabase;
import dev.outbox.testsupport.database.PostgresServers;
import dev.outbox.testsupport.database.PostgresTestDatabase;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/** The databases the tool's tests run on, each found as the conformance suites find it. */
enum TestDatabases {
    POSTGRESQL {
        @Override
        PostgresTestDatabase server() {
            return PostgresServers.locate();
        }

        @Override
        OutboxDialect dialect() {
            return PostgresDialect.create();
        }

        @Override
        String jdbcUrl(TestSchema schema) {
            return server().url();
        }

        @Override
        Login createLogin(TestSchema schema) {
            PostgresTestDatabase server = server();
            String role = schema.name() + "_ops";
            String password = newPassword();
            server.execute(
                    "CREATE ROLE \"" + role + "\" LOGIN PASSWORD '" + password + "'",
                    "GRANT ALL ON SCHEMA \"" + schema.name() + "\" TO \"" + role + "\"",
                    "GRANT ALL ON ALL TABLES IN SCHEMA \"" + schema.name() + "\" TO \"" + role + "\"",
                    "GRANT ALL ON ALL SEQUENCES IN SCHEMA \"" + schema.name() + "\" TO \"" + role + "\"");
            schema.closeWith(() -> server.execute("DROP OWNED BY \"" + role + "\"", "DROP ROLE \"" + role + "\""));
            return new Login(role, password);
        }

        @Override
        boolean checksPasswords() {
            // The local server trusts loopback connections: a wrong password is not noticed.
            return false;
        }
    },
    MARIADB {
        @Override
        MySqlTestDatabase server() {
            return MySqlServers.mariaDb();
        }

        @Override
        OutboxDialect dialect() {
            return MariaDbDialect.create();
        }

        @Override
        String jdbcUrl(TestSchema schema) {
            return server().url(schema.name());
        }

        @Override
        Login createLogin(TestSchema schema) {
            MySqlTestDatabase server = server();
            String user = "outbox_ops_"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
            String password = newPassword();
            String account = "'" + user + "'@'%'";
            server.execute(
                    "CREATE USER IF NOT EXISTS " + account + " IDENTIFIED BY '" + password + "'",
                    "GRANT ALL ON `" + schema.name() + "`.* TO " + account);
            schema.closeWith(() -> server.execute("DROP USER IF EXISTS " + account));
            return new Login(user, password);
        }

        @Override
        boolean checksPasswords() {
            return true;
        }
    };

    abstract dev.outbox.testkit.database.TestDatabase server();

    abstract OutboxDialect dialect();

    /** The URL the tool connects with; {@code --schema} names the test's schema. */
    abstract String jdbcUrl(TestSchema schema);

    /** The administrative user's password, or null: given to the tool through OUTBOX_PASSWORD. */
    @Nullable
    String adminPassword() {
        return server() instanceof PostgresTestDatabase pg ? pg.password() : ((MySqlTestDatabase) server()).password();
    }

    String adminUser() {
        return server() instanceof PostgresTestDatabase pg ? pg.user() : ((MySqlTestDatabase) server()).user();
    }

    /** A user with a password and every right on the schema, dropped with it. */
    abstract Login createLogin(TestSchema schema);

    /** Whether the server refuses a wrong password. */
    abstract boolean checksPasswords();

    record Login(String user, String password) {}

    /** Long and unlike anything else in the output, so a search for it finds only a leak. */
    private static String newPassword() {
        return "pw-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "-secret";
    }
}
