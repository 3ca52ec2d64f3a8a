package dev.outbox.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outbox.ConsumerStatus;
import dev.outbox.OutboxLog;
import dev.outbox.PartitionStatus;
import dev.outbox.mysql.MariaDbDialect;
import dev.outbox.mysql.MySqlDialect;
import dev.outbox.postgres.PostgresDialect;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the tool decides without a database: parsing, masking, JSON, the health verdict, help. */
class CommandLineTest {

    @Test
    void durationsReadTheOperatorsFormsAndPrintTwoUnits() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("PT5M")).isEqualTo(Duration.ofMinutes(5));
        assertThatThrownBy(() -> Durations.parse("5 minutes")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> Durations.parse("-5m")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Durations.format(Duration.ofMillis(850))).isEqualTo("850ms");
        assertThat(Durations.format(Duration.ofMillis(2300))).isEqualTo("2.3s");
        assertThat(Durations.format(Duration.ofSeconds(303))).isEqualTo("5m03s");
        assertThat(Durations.format(Duration.ofMinutes(125))).isEqualTo("2h05m");
        assertThat(Durations.format(Duration.ofHours(76))).isEqualTo("3d04h");
    }

    @Test
    void timesAreIsoWithAnOffsetOrADurationBackFromNow() {
        Clock clock = Clock.fixed(Instant.parse("2026-05-01T12:00:00Z"), ZoneOffset.UTC);
        assertThat(Times.parse("2026-05-01T14:00:00+02:00", clock)).isEqualTo(Instant.parse("2026-05-01T12:00:00Z"));
        assertThat(Times.parse("90m", clock)).isEqualTo(Instant.parse("2026-05-01T10:30:00Z"));
        assertThatThrownBy(() -> Times.parse("2026-05-01 12:00", clock)).hasMessageContaining("neither a time");
    }

    @Test
    void maxLagIsACountOfEntriesOrAnAge() {
        assertThat(MaxLag.parse("10000")).isEqualTo(new MaxLag(10_000L, null));
        assertThat(MaxLag.parse("5m")).isEqualTo(new MaxLag(null, Duration.ofMinutes(5)));
        assertThatThrownBy(() -> MaxLag.parse("lots")).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "jdbc:postgresql://db/app?password=x",
                "jdbc:postgresql://db/app?user=ops&PASSWORD=x",
                "jdbc:mysql://ops:x@db:3306/app",
                "jdbc:mariadb://address=(host=db)(port=3306)(password=x)/app",
                "jdbc:postgresql://db/app;password=x"
            })
    void aUrlCarryingTheLoginPasswordIsRefused(String url) {
        assertThatThrownBy(() -> JdbcUrls.refusePassword(url))
                .hasMessageContaining("carries a password")
                .hasMessageNotContaining(url);
    }

    @Test
    void otherSecretsOfAUrlAreMaskedWhenPrinted() {
        JdbcUrls.refusePassword("jdbc:postgresql://db/app?sslpassword=k3y&ssl=true");
        assertThat(JdbcUrls.masked("jdbc:postgresql://db/app?sslpassword=k3y&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/app?sslpassword=***&ssl=true");
        assertThat(JdbcUrls.masked("jdbc:mysql://ops:x@db/app?trustCertificateKeyStorePassword=s"))
                .isEqualTo("jdbc:mysql://***@db/app?trustCertificateKeyStorePassword=***");
    }

    @Test
    void theDialectComesFromTheUrlsScheme() {
        assertThat(JdbcUrls.dialect("jdbc:postgresql://db/app")).isSameAs(PostgresDialect.create());
        assertThat(JdbcUrls.dialect("jdbc:mariadb://db/app")).isSameAs(MariaDbDialect.create());
        assertThat(JdbcUrls.dialect("jdbc:mysql://db/app")).isSameAs(MySqlDialect.create());
        assertThatThrownBy(() -> JdbcUrls.dialect("jdbc:oracle:thin:@db:1521/app"))
                .hasMessageContaining("unsupported JDBC URL scheme 'jdbc:oracle'");
    }

    @Test
    void theJsonWriterWritesWhatAParserReadsBack() throws Exception {
        String text = new JsonWriter()
                .beginObject()
                .field("text", "quote \" backslash \\ newline \n tab \t control \u0001 line \u2028 é")
                .field("none", (String) null)
                .field("count", 42L)
                .field("flag", true)
                .field("at", Instant.parse("2026-05-01T12:00:00.123456Z"))
                .millisField("lag", Duration.ofSeconds(2))
                .name("list")
                .beginArray()
                .value(1L)
                .beginObject()
                .endObject()
                .beginArray()
                .endArray()
                .endArray()
                .endObject()
                .toString();
        JsonNode json = new ObjectMapper().readTree(text);
        assertThat(json.get("text").asText())
                .isEqualTo("quote \" backslash \\ newline \n tab \t control \u0001 line \u2028 é");
        assertThat(json.get("none").isNull()).isTrue();
        assertThat(json.get("count").asLong()).isEqualTo(42);
        assertThat(json.get("flag").asBoolean()).isTrue();
        assertThat(json.get("at").asText()).isEqualTo("2026-05-01T12:00:00.123Z");
        assertThat(json.get("lag").asLong()).isEqualTo(2000);
        assertThat(json.get("list")).hasSize(3);
    }

    @Test
    void blockedConsumersAndLagPastTheLimitsAreProblems() {
        OutboxLog.Queue idle = new OutboxLog.Queue(0, false, null, Duration.ofSeconds(1), Instant.EPOCH);
        ConsumerStatus running = consumer("search", ConsumerStatus.State.RUNNING, 100, Duration.ofMinutes(2), null);
        ConsumerStatus blocked = consumer("billing", ConsumerStatus.State.BLOCKED, 3, Duration.ofSeconds(5), 17L);

        assertThat(Health.problems(List.of(running), idle, List.of())).isEmpty();
        assertThat(Health.problems(List.of(running, blocked), idle, List.of()))
                .containsExactly("consumer 'billing' is blocked at seq 17: boom");
        assertThat(Health.problems(List.of(running), idle, List.of(MaxLag.parse("99"))))
                .containsExactly("consumer 'search' lags 100 entries, more than --max-lag 99 entries");
        assertThat(Health.problems(List.of(running), idle, List.of(MaxLag.parse("100"), MaxLag.parse("2m"))))
                .isEmpty();
        assertThat(Health.problems(List.of(running), idle, List.of(MaxLag.parse("1m"))))
                .containsExactly("consumer 'search' lags 2m00s, more than --max-lag 1m00s");

        OutboxLog.Queue stalled =
                new OutboxLog.Queue(5, false, Duration.ofMinutes(10), Duration.ofMinutes(10), Instant.EPOCH);
        assertThat(Health.problems(List.of(), stalled, List.of(MaxLag.parse("5m"))))
                .singleElement()
                .asString()
                .startsWith("the queue's oldest event has waited 10m00s to be sequenced");
        assertThat(Health.problems(List.of(), stalled, List.of(MaxLag.parse("1000"))))
                .isEmpty();
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        for (List<String> command : List.of(
                List.of("status"),
                List.of("tail"),
                List.of("show"),
                List.of("reset"),
                List.of("dead-letters", "list"),
                List.of("dead-letters", "show"),
                List.of("dead-letters", "redrive"),
                List.of("dead-letters", "discard"),
                List.of("consumers", "delete"),
                List.of("migrate"),
                List.of("verify"))) {
            String[] args = java.util.stream.Stream.concat(command.stream(), java.util.stream.Stream.of("--help"))
                    .toArray(String[]::new);
            CliTestBase.Result help = CliTestBase.run(Map.of(), args);
            assertThat(help.exitCode()).as(String.join(" ", args)).isZero();
            assertThat(help.out())
                    .as(String.join(" ", args))
                    .startsWith("Usage: outbox " + String.join(" ", command))
                    .contains("--jdbc-url")
                    .contains("Examples:");
        }
        CliTestBase.Result top = CliTestBase.run(Map.of(), "--help");
        assertThat(top.out()).contains("Exit codes:").contains("OUTBOX_PASSWORD");
        assertThat(CliTestBase.run(Map.of()).exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(CliTestBase.run(Map.of(), "status").err()).contains("Missing required option: '--jdbc-url=URL'");
        assertThat(CliTestBase.run(Map.of(), "stauts").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void thereIsNoPasswordOption() {
        CliTestBase.Result attempt =
                CliTestBase.run(Map.of(), "status", "--jdbc-url", "jdbc:postgresql://db/app", "--password", "hunter2");
        assertThat(attempt.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(attempt.err()).contains("there is no --password option").doesNotContain("hunter2");
        assertThat(CliTestBase.run(Map.of(), "status", "-phunter2").err()).doesNotContain("hunter2");
    }

    private static ConsumerStatus consumer(
            String name, ConsumerStatus.State state, long lagEvents, Duration lag, Long blockedAt) {
        PartitionStatus partition = new PartitionStatus(
                0, state, "relay", 1, lagEvents, lag, blockedAt, null, blockedAt == null ? null : "boom", null, 0);
        return new ConsumerStatus(
                name,
                false,
                state,
                "relay",
                1,
                lagEvents,
                lag,
                blockedAt,
                null,
                blockedAt == null ? null : "boom",
                null,
                0,
                List.of(partition));
    }
}
