package dev.outbox.testsupport.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testsupport.history.PublisherHistory.Handing;
import dev.outbox.testsupport.history.PublisherHistory.Published;
import dev.outbox.testsupport.history.PublisherHistory.Violation;
import dev.outbox.testsupport.history.PublisherHistory.Window;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The judge of publisher histories, on made-up ones: it must catch what it is there to catch. */
class PublisherHistoryTest {

    private static final Map<Long, String> LOG = Map.of(1L, "a", 2L, "a", 3L, "a", 4L, "b");
    private static final Window FAULT = new Window("broker SIGKILL", 1_000, 2_000);

    private static List<Published> records(long... seqs) {
        return java.util.Arrays.stream(seqs)
                .mapToObj(seq -> new Published(0, LOG.get(seq), seq))
                .toList();
    }

    private static List<String> kinds(List<Violation> violations) {
        return violations.stream().map(Violation::kind).toList();
    }

    @Test
    void shouldAcceptEveryEntryOnceInOrder() {
        PublisherHistory history = new PublisherHistory(LOG, records(1, 2, 3, 4));
        assertThat(history.checkAtLeastOnce(List.of(), List.of(), 0)).isEmpty();
        assertThat(history.checkExactlyOnce()).isEmpty();
    }

    @Test
    void shouldCatchAMissingEntryAndAPhantom() {
        PublisherHistory history = new PublisherHistory(
                LOG, List.of(new Published(0, "a", 1), new Published(0, "a", 2), new Published(0, "x", 4)));
        assertThat(kinds(history.checkExactlyOnce())).containsExactlyInAnyOrder("MISSING", "PHANTOM");
    }

    @Test
    void shouldCatchANewRecordBeforeAnOlderOneOfItsKeyButNotAResend() {
        // 2, 3, 1: the retried first record arrives after newer ones
        PublisherHistory reordered = new PublisherHistory(LOG, records(2, 3, 1, 4));
        assertThat(kinds(reordered.checkAtLeastOnce(List.of(), List.of(), 0))).contains("NEW_BEFORE_OLD");
        // 1, 2, 3 and again 2, 3 after a fault: a replay, in order
        Handing first = new Handing(List.of(1L, 2L, 3L), 1_500, 2_500);
        Handing again = new Handing(List.of(2L, 3L, 4L), 3_000, 3_100);
        PublisherHistory replayed = new PublisherHistory(LOG, records(1, 2, 3, 2, 3, 4));
        assertThat(replayed.checkAtLeastOnce(List.of(first, again), List.of(FAULT), 0))
                .isEmpty();
        assertThat(replayed.duplicates()).isEqualTo(2);
    }

    @Test
    void shouldCatchADuplicateNoFaultExplains() {
        Handing first = new Handing(List.of(1L, 2L), 5_000, 5_100);
        Handing again = new Handing(List.of(1L, 2L), 6_000, 6_100);
        PublisherHistory history = new PublisherHistory(LOG, records(1, 2, 1, 2, 3, 4));
        assertThat(kinds(history.checkAtLeastOnce(List.of(first, again), List.of(FAULT), 500)))
                .containsOnly("UNEXPLAINED_DUPLICATE");
        // a record twice that was handed once is never explained
        assertThat(kinds(history.checkAtLeastOnce(List.of(first), List.of(new Window("x", 0, 10_000)), 0)))
                .contains("UNEXPLAINED_DUPLICATE");
        // a handing cut off by a kill (no end) overlaps the kill
        Handing killed = new Handing(List.of(1L, 2L), 1_900, Long.MAX_VALUE);
        assertThat(history.checkAtLeastOnce(List.of(killed, again), List.of(FAULT), 0))
                .isEmpty();
    }

    @Test
    void shouldCatchADuplicateAndAnInversionInExactlyOnceMode() {
        assertThat(kinds(new PublisherHistory(LOG, records(1, 2, 2, 3, 4)).checkExactlyOnce()))
                .containsExactlyInAnyOrder("DUPLICATE", "OUT_OF_ORDER");
        assertThat(kinds(new PublisherHistory(LOG, records(1, 3, 2, 4)).checkExactlyOnce()))
                .containsExactly("OUT_OF_ORDER");
    }
}
