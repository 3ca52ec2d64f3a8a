package dev.outbox.cli;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outbox.ConsumerStatus;
import dev.outbox.FailurePolicy;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxRecord;
import dev.outbox.OutboxRelay;
import dev.outbox.PartitionStatus;
import dev.outbox.RetryPolicy;
import dev.outbox.StartPosition;
import dev.outbox.testkit.RecordingHandler;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command of the tool, run in-process through picocli on a real database (the subclasses name
 * it), against relays running the consumers it inspects and operates on.
 */
abstract class OutboxCliTest extends CliTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();

    // ---------------------------------------------------------------- status

    @Test
    void statusShowsEveryConsumerRowAndExitsZeroWhenHealthy() throws Exception {
        RecordingHandler projection = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "relay-a",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("projection", projection)
                        .startFrom(StartPosition.BEGINNING)
                        .build()));
        appendOrders(1, 3);
        await().atMost(TIMEOUT).until(() -> relay.status("projection").checkpoint() == 3);

        Result table = outbox("status");
        assertThat(table.exitCode()).as(table.toString()).isZero();
        assertThat(table.out())
                .contains("log     head 3, lowest retained 1")
                .containsPattern("projection +RUNNING +relay-a +3 +0 ")
                .endsWith("healthy" + System.lineSeparator());

        Result json = outbox("status", "--json");
        assertThat(json.exitCode()).as(json.toString()).isZero();
        JsonNode status = JSON.readTree(json.out());
        assertThat(status.get("healthy").asBoolean()).isTrue();
        assertThat(status.get("problems")).isEmpty();
        assertThat(status.at("/log/head").asLong()).isEqualTo(3);
        assertThat(status.at("/log/lowestRetained").asLong()).isEqualTo(1);
        assertThat(status.at("/log/queue/waiting").asLong()).isZero();
        JsonNode consumer = status.at("/consumers/0");
        assertThat(consumer.get("name").asText()).isEqualTo("projection");
        assertThat(consumer.get("state").asText()).isEqualTo("RUNNING");
        assertThat(consumer.get("owner").asText()).isEqualTo("relay-a");
        assertThat(consumer.get("checkpoint").asLong()).isEqualTo(3);
        assertThat(consumer.get("lagEvents").asLong()).isZero();
        assertThat(consumer.get("blockedAtSeq").isNull()).isTrue();
        assertThat(consumer.get("partitions")).hasSize(1);
        assertThat(consumer.at("/partitions/0/partition").asInt()).isZero();
    }

    @Test
    void statusExitsOneWhenAConsumerIsBlocked() throws Exception {
        OutboxRelay relay = startRelay("relay-a", builder -> builder.consumer(blockingConsumer("billing")));
        appendOrders(1, 2);
        await().atMost(TIMEOUT).until(() -> relay.status("billing").state() == ConsumerStatus.State.BLOCKED);

        Result table = outbox("status");
        assertThat(table.exitCode()).as(table.toString()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(table.out())
                .containsPattern("billing +BLOCKED +relay-a +0 +2 ")
                .contains("UNHEALTHY: consumer 'billing' is blocked at seq 1: java.lang.IllegalStateException:"
                        + " downstream rejected the order");

        Result json = outbox("status", "--json");
        assertThat(json.exitCode()).isEqualTo(ExitCodes.PROBLEM);
        JsonNode status = JSON.readTree(json.out());
        assertThat(status.get("healthy").asBoolean()).isFalse();
        assertThat(status.get("problems")).hasSize(1);
        assertThat(status.at("/consumers/0/blockedAtSeq").asLong()).isEqualTo(1);
        assertThat(status.at("/consumers/0/lastError").asText()).contains("downstream rejected the order");
    }

    @Test
    void statusExitsOneWhenAConsumerLagsPastMaxLag() throws Exception {
        // A consumer whose relay stopped: its row stays, behind the log.
        try (OutboxRelay first = OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(fastOptions("relay-a").build())
                .consumer(OutboxConsumer.atLeastOnce("slow", new RecordingHandler())
                        .startFrom(StartPosition.BEGINNING)
                        .build())
                .build()
                .start()) {
            await().atMost(TIMEOUT)
                    .until(() -> !first.status("slow").partitions().isEmpty());
        }
        OutboxRelay sequencer = startRelay("relay-b", builder -> {});
        appendOrders(1, 5);
        await().atMost(TIMEOUT).until(() -> sequencer.log().head() == 5);

        assertThat(outbox("status").exitCode()).isZero();
        Result lagging = outbox("status", "--max-lag", "4");
        assertThat(lagging.exitCode()).as(lagging.toString()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(lagging.out())
                .containsPattern("slow +STOPPED +- +0 +5 ")
                .contains("UNHEALTHY: consumer 'slow' lags 5 entries, more than --max-lag 4 entries");
        assertThat(outbox("status", "--max-lag", "5").exitCode()).isZero();
        assertThat(outbox("status", "--max-lag", "1h").exitCode()).isZero();
        Result byAge = outbox("status", "--max-lag", "1h", "--max-lag", "1ms");
        assertThat(byAge.exitCode()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(byAge.out()).contains("UNHEALTHY: consumer 'slow' lags ").contains("more than --max-lag 1ms");
        assertThat(outbox("status", "--max-lag", "soon").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void statusExitsTwoWhenTheDatabaseCannotBeReachedOrHasNoTables() {
        String wrongPort = database().jdbcUrl(schema).replaceFirst(":\\d+/", ":1/");
        Result unreachable =
                outbox("status", "--jdbc-url", wrongPort, "--user", database().adminUser());
        assertThat(unreachable.exitCode()).as(unreachable.toString()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(unreachable.err()).startsWith("status: cannot connect to " + wrongPort);

        Result noTables = outbox("status", "--prefix", "nothing_here_");
        assertThat(noTables.exitCode()).as(noTables.toString()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(noTables.err()).contains("Run the migration");
    }

    // ---------------------------------------------------------------- password

    @Test
    void thePasswordComesFromTheEnvironmentOrAFileAndIsNeverPrinted(@TempDir Path directory) throws Exception {
        TestDatabases.Login login = database().createLogin(schema);
        Map<String, String> environment = Map.of(ConnectionOptions.PASSWORD_VARIABLE, login.password());

        Result fromEnvironment = outboxWith(environment, "status", "--user", login.user());
        assertThat(fromEnvironment.exitCode()).as(fromEnvironment.toString()).isZero();
        assertThat(fromEnvironment.all()).doesNotContain(login.password());

        Path file = directory.resolve("password");
        Files.writeString(file, login.password() + "\n", StandardCharsets.UTF_8);
        Result fromFile = outbox("status", "--user", login.user(), "--password-file", file.toString());
        assertThat(fromFile.exitCode()).as(fromFile.toString()).isZero();

        String wrong = login.password() + "-wrong";
        Result wrongPassword =
                outboxWith(Map.of(ConnectionOptions.PASSWORD_VARIABLE, wrong), "status", "--user", login.user());
        if (database().checksPasswords()) {
            assertThat(wrongPassword.exitCode()).as(wrongPassword.toString()).isEqualTo(ExitCodes.UNAVAILABLE);
            assertThat(wrongPassword.err()).contains("cannot connect").contains(login.user());
        }
        assertThat(wrongPassword.all()).doesNotContain(wrong);

        Result missingFile =
                outbox("status", "--password-file", directory.resolve("none").toString());
        assertThat(missingFile.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missingFile.err()).contains("cannot read --password-file");
    }

    @Test
    void aJdbcUrlCarryingAPasswordIsRefusedWithoutRepeatingIt() {
        String secret = "s3cr3t-in-url";
        String url = database().jdbcUrl(schema) + (database().jdbcUrl(schema).contains("?") ? "&" : "?") + "password="
                + secret;
        Result refused = outbox("status", "--jdbc-url", url);
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(refused.err()).contains("the JDBC URL carries a password").doesNotContain(secret);
        assertThat(refused.out()).doesNotContain(secret);
    }

    // ---------------------------------------------------------------- tail, show

    @Test
    void tailPrintsTheLastEntriesOrFromASeqOnePerLine() throws Exception {
        OutboxRelay relay = startRelay("relay-a", builder -> {});
        appendOrders(1, 25);
        await().atMost(TIMEOUT).until(() -> relay.log().head() == 25);

        Result last = outbox("tail");
        assertThat(last.exitCode()).as(last.toString()).isZero();
        List<String> lines = last.out().lines().toList();
        assertThat(lines).hasSize(20);
        assertThat(lines.get(0))
                .startsWith("6  ")
                .contains("  order/o-6  OrderPlaced  ")
                .endsWith("{\"n\":6}");
        assertThat(lines.get(19)).startsWith("25  ");

        assertThat(outbox("tail", "--from", "24").out().lines()).hasSize(2);
        assertThat(outbox("tail", "--last", "1", "--width", "6").out()).contains("  {\"n...");

        Result json = outbox("tail", "--from", "1", "--json");
        List<String> objects = json.out().lines().toList();
        assertThat(objects).hasSize(25);
        JsonNode first = JSON.readTree(objects.get(0));
        assertThat(first.get("seq").asLong()).isEqualTo(1);
        assertThat(first.get("aggregateType").asText()).isEqualTo("order");
        assertThat(first.get("aggregateId").asText()).isEqualTo("o-1");
        assertThat(first.get("payload").asText()).isEqualTo("{\"n\":1}");
    }

    @Test
    void tailFollowPrintsNewEntriesUntilInterrupted() throws Exception {
        OutboxRelay relay = startRelay("relay-a", builder -> {});
        appendOrders(1, 2);
        await().atMost(TIMEOUT).until(() -> relay.log().head() == 2);

        StringWriter out = new StringWriter();
        CommandLine commandLine = OutboxCli.commandLine(
                new CliContext(name -> database().adminPassword(), false, prompt -> null, Clock.systemUTC()));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(new StringWriter(), true));
        AtomicInteger exitCode = new AtomicInteger(-1);
        Thread follower = new Thread(() -> exitCode.set(commandLine.execute(
                "tail",
                "--follow",
                "--interval",
                "20ms",
                "--jdbc-url",
                database().jdbcUrl(schema),
                "--user",
                database().adminUser(),
                "--schema",
                schema.name())));
        follower.start();
        try {
            await().atMost(TIMEOUT).until(() -> out.toString().lines().count() == 2);
            appendOrders(3, 1);
            await().atMost(TIMEOUT).until(() -> out.toString().contains("order/o-3"));
        } finally {
            follower.interrupt();
            follower.join(TIMEOUT.toMillis());
        }
        assertThat(exitCode.get()).isZero();
        assertThat(out.toString().lines().map(line -> line.substring(0, line.indexOf(' '))))
                .containsExactly("1", "2", "3");
    }

    @Test
    void showPrintsOneEntryWithHeadersAndTheWholePayload() throws Exception {
        OutboxRelay relay = startRelay("relay-a", builder -> {});
        String payload = "{\"order\":\"o-1\",\"lines\":[" + "\"x\",".repeat(60) + "\"y\"]}";
        appendCommitted(
                OutboxEvent.of("order", "o-1", "OrderPlaced", payload).withHeader("content-type", "application/json"));
        await().atMost(TIMEOUT).until(() -> relay.log().head() == 1);

        Result shown = outbox("show", "1");
        assertThat(shown.exitCode()).as(shown.toString()).isZero();
        assertThat(shown.out())
                .contains("aggregate     order/o-1")
                .contains("event type    OrderPlaced")
                .contains("  content-type: application/json")
                .contains(payload);

        JsonNode json = JSON.readTree(outbox("show", "1", "--json").out());
        assertThat(json.get("payload").asText()).isEqualTo(payload);
        assertThat(json.at("/headers/content-type").asText()).isEqualTo("application/json");

        Result missing = outbox("show", "2");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(missing.err()).contains("seq 2 is not in the log: the log's head is 1");
    }

    // ---------------------------------------------------------------- reset

    @Test
    void resetWithoutExecuteChangesNothingAndWithItMovesTheCheckpoint() throws Exception {
        catchUpAndStop("projection", 10);

        Result dryRun = outbox("reset", "projection", "--to-seq", "3");
        assertThat(dryRun.exitCode()).as(dryRun.toString()).isZero();
        assertThat(dryRun.out())
                .contains("log head 10, lowest retained 1; next delivery at seq 3")
                .contains("checkpoint 10 -> 2: replays 8 entries (seq 3 to 10)")
                .contains("dry run: nothing changed");
        assertThat(checkpoint("projection")).isEqualTo(10);

        Result executed = outbox("reset", "projection", "--to-seq", "3", "--execute");
        assertThat(executed.exitCode()).as(executed.toString()).isZero();
        assertThat(executed.out()).contains("reset: consumer 'projection' continues from seq 3");
        assertThat(checkpoint("projection")).isEqualTo(2);

        assertThat(outbox("reset", "projection", "--to-head", "--execute").out())
                .contains("checkpoint 2 -> 10: skips 8 entries (seq 3 to 10)");
        assertThat(checkpoint("projection")).isEqualTo(10);
        assertThat(outbox("reset", "projection", "--to-earliest", "--execute").exitCode())
                .isZero();
        assertThat(checkpoint("projection")).isZero();
        assertThat(outbox("reset", "projection", "--to-time", "2999-01-01T00:00:00Z", "--execute")
                        .exitCode())
                .isZero();
        assertThat(checkpoint("projection")).isEqualTo(10);
        assertThat(outbox("reset", "projection", "--to-time", "1d", "--execute").exitCode())
                .isZero();
        assertThat(checkpoint("projection")).isZero();
    }

    @Test
    void resetRefusesWhatCannotBeDone() throws Exception {
        catchUpAndStop("projection", 3);

        Result unknown = outbox("reset", "nobody", "--to-seq", "1", "--execute");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(unknown.err()).contains("consumer 'nobody' has no row").contains("(consumers: projection)");
        assertThat(reader().status().stream().map(ConsumerStatus::name)).containsExactly("projection");

        Result pastHead = outbox("reset", "projection", "--to-seq", "5", "--execute");
        assertThat(pastHead.exitCode()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(pastHead.err()).contains("past the log's head 3");
        assertThat(checkpoint("projection")).isEqualTo(3);

        assertThat(outbox("reset", "projection", "--to-seq", "1", "--to-head").exitCode())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(outbox("reset", "projection").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(outbox("reset", "projection", "--to-seq", "1", "--wait").exitCode())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(outbox("reset", "projection", "--to-seq", "1", "--partition", "1")
                        .exitCode())
                .isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void resetExecuteWaitFollowsTheReplayUntilTheHeadAsOfTheReset() throws Exception {
        catchUpAndStop("projection", 10);
        RecordingHandler replay = new RecordingHandler();
        OutboxRelay relay = startRelay(
                "relay-b",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("projection", replay)
                        .batchSize(2)
                        .build()));
        await().atMost(TIMEOUT).until(() -> relay.ownsConsumer("projection"));

        Result waited = outbox("reset", "projection", "--to-seq", "3", "--execute", "--wait", "--progress");
        assertThat(waited.exitCode()).as(waited.toString()).isZero();
        assertThat(waited.out())
                .contains("relay relay-b runs it now")
                .contains("caught up: checkpoint 10 reached the head as of the reset (10), 8 entries in");
        // The bar, forced on although this is no terminal, drawn on stderr.
        assertThat(waited.err()).contains("replay projection").contains("8/8");
        assertThat(replay.seqs())
                .containsAll(LongStream.rangeClosed(3, 10).boxed().toList());
        assertThat(replay.seqs()).allMatch(seq -> seq >= 3);
    }

    @Test
    void resetExecuteWaitExitsOneWhenTheConsumerBlocks() throws Exception {
        catchUpAndStop("billing", 2);
        startRelay("relay-b", builder -> builder.consumer(blockingConsumer("billing")));

        Result waited = outbox("reset", "billing", "--to-seq", "1", "--execute", "--wait");
        assertThat(waited.exitCode()).as(waited.toString()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(waited.err()).contains("reset: consumer 'billing' is blocked at seq 1");
        assertThat(waited.err()).doesNotContain("replay billing"); // no bar off a terminal
    }

    @Test
    void resetWaitGivesUpAfterItsTimeoutWhenNoRelayRunsTheConsumer() throws Exception {
        catchUpAndStop("projection", 3);

        Result waited =
                outbox("reset", "projection", "--to-seq", "1", "--execute", "--wait", "--wait-timeout", "300ms");
        assertThat(waited.exitCode()).as(waited.toString()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(waited.err()).contains("reset: gave up waiting after 300ms at checkpoint 0 of 3");
        assertThat(checkpoint("projection")).isZero();
    }

    @Test
    void resetOfOnePartitionLeavesTheOthersAlone() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        try (OutboxRelay relay = OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(fastOptions("relay-a").build())
                .consumer(OutboxConsumer.atLeastOnce("split", handler)
                        .startFrom(StartPosition.BEGINNING)
                        .partitions(2)
                        .build())
                .build()
                .start()) {
            appendOrders(1, 10);
            await().atMost(TIMEOUT)
                    .until(() -> relay.status("split").partitions().stream()
                            .allMatch(partition -> partition.checkpoint() == 10));
        }

        Result dryRun = outbox("reset", "split", "--partition", "1", "--to-seq", "1");
        assertThat(dryRun.out())
                .contains("partition 1: checkpoint 10 -> 0: replays 10 log entries (of all partitions)")
                .doesNotContain("partition 0:");
        Result executed = outbox("reset", "split", "--partition", "1", "--to-seq", "1", "--execute");
        assertThat(executed.exitCode()).as(executed.toString()).isZero();
        List<PartitionStatus> partitions = reader().status("split").partitions();
        assertThat(partitions.get(0).checkpoint()).isEqualTo(10);
        assertThat(partitions.get(1).checkpoint()).isZero();

        assertThat(outbox("reset", "split", "--partition", "2", "--to-seq", "1").exitCode())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(outbox("reset", "split", "--to-seq", "4", "--execute").exitCode())
                .isZero();
        assertThat(reader().status("split").partitions())
                .extracting(PartitionStatus::checkpoint)
                .containsExactly(3L, 3L);
    }

    // ---------------------------------------------------------------- dead letters

    @Test
    void aDeadLetterIsListedShownAndRedrivenToTheRelayThatRunsTheConsumer() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        List<Long> delivered = new CopyOnWriteArrayList<>();
        OutboxRelay relay = startRelay("relay-a", builder -> builder.consumer(parkingConsumer(failing, delivered)));
        appendOrders(1, 3);
        await().atMost(TIMEOUT)
                .until(() -> relay.status("mailer").parkedCount() == 1
                        && relay.status("mailer").checkpoint() == 3);

        Result list = outbox("dead-letters", "list");
        assertThat(list.exitCode()).as(list.toString()).isZero();
        assertThat(list.out())
                .containsPattern("mailer +2 +PARKED +1 +\\S+ +order/o-2 +OrderPlaced +"
                        + "java.lang.IllegalStateException: mail server said no")
                .contains("1 dead letter");
        JsonNode json = JSON.readTree(
                outbox("dead-letters", "list", "--consumer", "mailer", "--json").out());
        assertThat(json).hasSize(1);
        assertThat(json.at("/0/seq").asLong()).isEqualTo(2);
        assertThat(json.at("/0/status").asText()).isEqualTo("PARKED");
        assertThat(json.at("/0/record/payload").asText()).isEqualTo("{\"n\":2}");

        Result shown = outbox("dead-letters", "show", "mailer", "2");
        assertThat(shown.exitCode()).as(shown.toString()).isZero();
        assertThat(shown.out())
                .contains("error: mail server said no")
                .contains("error class   java.lang.IllegalStateException")
                .contains("{\"n\":2}");
        assertThat(outbox("dead-letters", "show", "mailer", "3").exitCode()).isEqualTo(ExitCodes.PROBLEM);

        failing.set(false);
        Result redriven = outbox("dead-letters", "redrive", "mailer", "2", "--wait");
        assertThat(redriven.exitCode()).as(redriven.toString()).isZero();
        assertThat(redriven.out())
                .contains("asked for 1 dead letter of consumer 'mailer' to be delivered again: [2]")
                .contains("delivered 1 of 1");
        assertThat(delivered).containsExactly(1L, 3L, 2L);
        assertThat(outbox("dead-letters", "list").out()).contains("no dead letters");
        assertThat(relay.status("mailer").parkedCount()).isZero();
    }

    @Test
    void aRedriveThatFailsAgainExitsOneAndTheEventIsParkedAgain() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        OutboxRelay relay = startRelay(
                "relay-a", builder -> builder.consumer(parkingConsumer(failing, new CopyOnWriteArrayList<>())));
        appendOrders(1, 3);
        await().atMost(TIMEOUT).until(() -> relay.status("mailer").parkedCount() == 1);

        Result redriven = outbox("dead-letters", "redrive", "mailer", "--all", "--wait");
        assertThat(redriven.exitCode()).as(redriven.toString()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(redriven.out()).contains("delivered 0 of 1; parked again: [2]");
        JsonNode json = JSON.readTree(outbox("dead-letters", "list", "--json").out());
        assertThat(json.at("/0/attempts").asInt()).isEqualTo(2);

        Result missing = outbox("dead-letters", "redrive", "mailer", "7");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(missing.err()).contains("has no dead letter at seq [7]");
    }

    @Test
    void aDiscardedDeadLetterIsGoneAndNeverDelivered() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        List<Long> delivered = new CopyOnWriteArrayList<>();
        OutboxRelay relay = startRelay("relay-a", builder -> builder.consumer(parkingConsumer(failing, delivered)));
        appendOrders(1, 3);
        await().atMost(TIMEOUT).until(() -> relay.status("mailer").parkedCount() == 1);

        assertThat(outbox("dead-letters", "discard", "mailer", "2").exitCode()).isEqualTo(ExitCodes.USAGE);
        Result discarded = outbox("dead-letters", "discard", "mailer", "2", "--reason", "customer gone");
        assertThat(discarded.exitCode()).as(discarded.toString()).isZero();
        assertThat(discarded.out()).contains("discarded 1 dead letter of consumer 'mailer': [2]");
        assertThat(relay.status("mailer").parkedCount()).isZero();
        assertThat(outbox("dead-letters", "list", "--consumer", "mailer").out()).contains("no dead letters");
        assertThat(outbox("dead-letters", "discard", "mailer", "2", "--reason", "again")
                        .exitCode())
                .isEqualTo(ExitCodes.PROBLEM);
        assertThat(delivered).containsExactly(1L, 3L);
    }

    // ---------------------------------------------------------------- consumers delete

    @Test
    void deletingARetiredConsumerLetsRetentionMoveOn() throws Exception {
        OutboxRelay relay = relayHeldBackByARetiredConsumer(5);

        Result deleted = outbox("consumers", "delete", "retired");
        assertThat(deleted.exitCode()).as(deleted.toString()).isZero();
        assertThat(deleted.out()).contains("deleted consumer 'retired' (checkpoint 0, 1 partition, 0 dead letters)");
        await().atMost(TIMEOUT).until(() -> relay.log().lowestRetained() == 6);
        assertThat(reader().status().stream().map(ConsumerStatus::name)).containsExactly("active");

        assertThat(outbox("consumers", "delete", "retired").exitCode()).isEqualTo(ExitCodes.PROBLEM);
    }

    @Test
    void deletingAConsumerARelayRunsIsRefused() throws Exception {
        OutboxRelay relay = startRelay(
                "relay-a",
                builder -> builder.consumer(OutboxConsumer.atLeastOnce("projection", new RecordingHandler())
                        .build()));
        await().atMost(TIMEOUT).until(() -> relay.ownsConsumer("projection"));

        Result refused = outbox("consumers", "delete", "projection");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(refused.err()).contains("consumer 'projection' is running in relay 'relay-a'");
        assertThat(relay.status("projection").partitions()).hasSize(1);
    }

    // ---------------------------------------------------------------- migrate, verify

    @Test
    void verifyFindsTablesMissingAndMigrateCreatesThem() {
        Result missing = outbox("verify", "--prefix", "fresh_");
        assertThat(missing.exitCode()).as(missing.toString()).isEqualTo(ExitCodes.PROBLEM);
        assertThat(missing.out())
                .startsWith("NOT OK: ")
                .contains("Run the migration")
                .contains("outbox migrate");
        assertThat(outbox("status", "--prefix", "fresh_").exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);

        Result migrated = outbox("migrate", "--prefix", "fresh_");
        assertThat(migrated.exitCode()).as(migrated.toString()).isZero();
        assertThat(migrated.out()).contains("OK: " + schema.name() + ".fresh_* are at the schema version");

        Result verified = outbox("verify", "--prefix", "fresh_");
        assertThat(verified.exitCode()).as(verified.toString()).isZero();
        assertThat(verified.out()).startsWith("OK: ");
        assertThat(outbox("status", "--prefix", "fresh_").exitCode()).isZero();
        assertThat(outbox("migrate", "--prefix", "fresh_").exitCode()).isZero(); // again: nothing to do

        String wrongPort = database().jdbcUrl(schema).replaceFirst(":\\d+/", ":1/");
        assertThat(outbox(
                                "verify",
                                "--jdbc-url",
                                wrongPort,
                                "--user",
                                database().adminUser())
                        .exitCode())
                .isEqualTo(ExitCodes.UNAVAILABLE);
    }

    // ---------------------------------------------------------------- helpers

    /** Runs consumer {@code name} from the beginning until it processed {@code events} new events, then stops its relay. */
    private void catchUpAndStop(String name, int events) {
        try (OutboxRelay relay = OutboxRelay.builder(dataSource, dialect())
                .tables(tables)
                .options(fastOptions("relay-a").build())
                .consumer(OutboxConsumer.atLeastOnce(name, new RecordingHandler())
                        .startFrom(StartPosition.BEGINNING)
                        .build())
                .build()
                .start()) {
            appendOrders(1, events);
            await().atMost(TIMEOUT).until(() -> relay.status(name).checkpoint() == events);
        }
    }

    private long checkpoint(String name) {
        return reader().status(name).checkpoint();
    }

    /** A consumer whose handler always fails, blocked after one attempt. */
    private static OutboxConsumer blockingConsumer(String name) {
        return OutboxConsumer.atLeastOnce(name, batch -> {
                    throw new IllegalStateException("downstream rejected the order");
                })
                .startFrom(StartPosition.BEGINNING)
                .failurePolicy(FailurePolicy.BLOCK)
                .retryPolicy(RetryPolicy.of(Duration.ofMillis(10), Duration.ofMillis(10), 1))
                .build();
    }

    /** Consumer {@code mailer}: seq 2 fails while {@code failing} and is parked; what it delivers goes to {@code delivered}. */
    private static OutboxConsumer parkingConsumer(AtomicBoolean failing, List<Long> delivered) {
        return OutboxConsumer.atLeastOnce("mailer", batch -> {
                    for (OutboxRecord record : batch) {
                        if (record.seq() == 2 && failing.get()) {
                            throw new IllegalStateException("mail server said no");
                        }
                    }
                    batch.forEach(record -> delivered.add(record.seq()));
                })
                .startFrom(StartPosition.BEGINNING)
                .batchSize(1)
                .failurePolicy(FailurePolicy.PARK)
                .retryPolicy(RetryPolicy.of(Duration.ofMillis(10), Duration.ofMillis(10), 1))
                .build();
    }
}
