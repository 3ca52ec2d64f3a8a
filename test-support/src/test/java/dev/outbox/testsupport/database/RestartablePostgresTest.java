package dev.outbox.testsupport.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.testkit.Await;
import dev.outbox.testkit.database.RestartableDatabase.StopMode;
import dev.outbox.testkit.database.TestSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The private server keeps committed data across a crash, and leaves nothing behind. */
class RestartablePostgresTest {

    @Test
    void shouldKeepCommittedRowsAcrossACrashAndCleanUpOnClose() throws Exception {
        Path log;
        try (RestartablePostgres server = RestartablePostgres.launch();
                TestSchema schema = server.createSchema("restartable")) {
            log = server.logFile();
            DataSource pool = schema.dataSource();
            execute(pool, "CREATE TABLE t (n INT)", "INSERT INTO t VALUES (1)");

            server.restart();
            // the pool hands out a broken connection or two, then replaces them
            Await.await()
                    .atMost(Duration.ofSeconds(30))
                    .ignoring(Exception.class)
                    .until(() -> {
                        execute(pool, "INSERT INTO t VALUES (2)");
                        return true;
                    });

            server.stop(StopMode.CRASH);
            assertThat(server.isRunning()).isFalse();
            assertThatThrownBy(() -> execute(pool, "SELECT 1")).isInstanceOf(SQLException.class);
            server.start();
            Await.await()
                    .atMost(Duration.ofSeconds(30))
                    .ignoring(Exception.class)
                    .until(() -> count(pool) >= 0);

            assertThat(count(pool)).isEqualTo(2);
            assertThat(server.starts()).isEqualTo(3);
            assertThat(server.description()).contains("PostgreSQL", "private restartable server");
        }
        assertThat(Files.exists(log.getParent())).isFalse();
    }

    private static void execute(DataSource pool, String... statements) throws SQLException {
        try (Connection connection = pool.getConnection();
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    private static long count(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM t")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
