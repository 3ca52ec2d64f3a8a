package dev.outbox.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.OutboxException;
import dev.outbox.spi.OutboxDialect;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/** The dialects without a server: rendering, and the start-up check against reported versions. */
class DialectTest {

    @Test
    void shouldRenderForItsOwnJooqDialect() {
        assertThat(MySqlDialect.create().sqlDialect()).isEqualTo(SQLDialect.MYSQL);
        assertThat(MariaDbDialect.create().sqlDialect()).isEqualTo(SQLDialect.MARIADB);
        assertThat(MySqlDialect.create().notifications()).isNull();
        assertThat(MariaDbDialect.create().notifications()).isNull();
    }

    @Test
    void shouldRenderServerTimeInUtcWithMicroseconds() {
        for (OutboxDialect dialect : new OutboxDialect[] {MySqlDialect.create(), MariaDbDialect.create()}) {
            var dsl = DSL.using(dialect.sqlDialect());
            assertThat(dsl.render(DSL.select(dialect.currentTime()))).isEqualTo("select utc_timestamp(6)");
            assertThat(dsl.renderNamedParams(
                            DSL.select(dialect.currentTimePlusMillis(DSL.param("lease_ms", Long.class)))))
                    .isEqualTo("select timestampadd(MICROSECOND, :lease_ms * 1000, utc_timestamp(6))");
        }
    }

    @Test
    void shouldAcceptTheSupportedServers() {
        assertThatCode(() -> MariaDbDialect.create().checkServer(server("10.6.0-MariaDB", "utf8mb4", "utf8mb4")))
                .doesNotThrowAnyException();
        assertThatCode(() -> MariaDbDialect.create().checkServer(server("5.5.5-11.4.2-MariaDB-log", null, "utf8mb4")))
                .doesNotThrowAnyException();
        assertThatCode(() -> MySqlDialect.create().checkServer(server("8.0.13", "utf8mb4", "utf8mb4")))
                .doesNotThrowAnyException();
        assertThatCode(() -> MySqlDialect.create().checkServer(server("9.1.0-commercial", "utf8mb4", "utf8mb4")))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldRefuseOlderServersAndSayWhy() {
        assertThatThrownBy(() -> MySqlDialect.create().checkServer(server("5.7.44-log", "utf8mb4", "utf8mb4")))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("outbox needs MySQL 8.0.13 or later, this server is MySQL 5.7.44-log")
                .hasMessageContaining("auto-increment counter as MAX(position)+1 on restart")
                .hasMessageContaining("SKIP LOCKED");
        assertThatThrownBy(() -> MySqlDialect.create().checkServer(server("8.0.12", "utf8mb4", "utf8mb4")))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("expression defaults");
        assertThatThrownBy(() -> MariaDbDialect.create().checkServer(server("10.5.25-MariaDB", "utf8mb4", "utf8mb4")))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("outbox needs MariaDB 10.6.0 or later, this server is MariaDB 10.5.25-MariaDB")
                .hasMessageContaining("no SKIP LOCKED")
                .hasMessageContaining("auto-increment counter as MAX(position)+1 on restart");
    }

    @Test
    void shouldRefuseTheOtherProduct() {
        assertThatThrownBy(() -> MySqlDialect.create().checkServer(server("10.11.19-MariaDB", "utf8mb4", "utf8mb4")))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("use MariaDbDialect.create()");
        assertThatThrownBy(() -> MariaDbDialect.create().checkServer(server("8.0.36", "utf8mb4", "utf8mb4")))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("use MySqlDialect.create()");
    }

    @Test
    void shouldRefuseAConnectionThatCannotCarryFourByteCharacters() {
        assertThatThrownBy(() -> MariaDbDialect.create().checkServer(server("10.11.19-MariaDB", "utf8mb3", "utf8mb4")))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("character_set_results=utf8mb3")
                .hasMessageContaining("emoji");
        assertThatThrownBy(() -> MySqlDialect.create().checkServer(server("8.0.36", "utf8mb4", "latin1")))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("character_set_client=latin1");
    }

    /** A connection whose server reports this version and these character sets. */
    private static Connection server(String version, String charsetResults, String charsetClient) {
        Object[] row = {version, charsetResults, charsetClient};
        ResultSet rs = proxy(ResultSet.class, (method, args) -> switch (method) {
            case "next" -> true;
            case "getString" -> (String) row[(Integer) args[0] - 1];
            case "close" -> null;
            default -> throw new UnsupportedOperationException(method);
        });
        Statement statement = proxy(Statement.class, (method, args) -> switch (method) {
            case "executeQuery" -> rs;
            case "close" -> null;
            default -> throw new UnsupportedOperationException(method);
        });
        return proxy(Connection.class, (method, args) -> switch (method) {
            case "createStatement" -> statement;
            default -> throw new UnsupportedOperationException(method);
        });
    }

    private interface Answer {
        Object answer(String method, Object[] args);
    }

    private static <T> T proxy(Class<T> type, Answer answer) {
        return type.cast(Proxy.newProxyInstance(
                DialectTest.class.getClassLoader(),
                new Class<?>[] {type},
                (p, method, args) -> answer.answer(method.getName(), args)));
    }
}
