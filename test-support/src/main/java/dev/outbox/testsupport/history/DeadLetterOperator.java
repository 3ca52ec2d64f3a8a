package dev.outbox.testsupport.history;

import dev.outbox.ConsumerStatus;
import dev.outbox.DeadLetter;
import dev.outbox.OutboxException;
import dev.outbox.OutboxRelay;
import dev.outbox.testkit.history.FaultyConsumer;
import dev.outbox.testkit.history.History;
import dev.outbox.testkit.history.HistoryClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator of a history run with handler faults, on a thread of its own: reads the faulty
 * consumers' status every {@link #SAMPLE_INTERVAL} (recorded, so that the checker can hold it
 * against what the handlers did), and after each read, for each parking consumer, sometimes
 * re-drives all its dead letters, re-drives or discards one of the first page, as a person at a
 * console (or a job that re-drives after a fix) would. At the end of
 * the run {@link #redriveEverything} re-drives whatever is still parked.
 *
 * <p>It works through a relay that is never started ({@code deadLetters()} and {@code status()}
 * work without it), so the re-drives are carried out by whichever relay runs each consumer.
 */
final class DeadLetterOperator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterOperator.class);

    /** How often the status is read. */
    static final Duration SAMPLE_INTERVAL = Duration.ofMillis(250);

    /** The dead letters read per listing, as a console shows its first page. */
    private static final int PAGE = 100;

    private final OutboxRelay admin;
    private final History history;
    private final List<FaultyConsumer> consumers;
    private final SplittableRandom random;
    private final Thread thread;
    private volatile boolean stopping;
    private int redrives;
    private int discards;

    DeadLetterOperator(OutboxRelay admin, History history, List<FaultyConsumer> consumers, long seed) {
        this.admin = Objects.requireNonNull(admin, "admin");
        this.history = history;
        this.consumers = List.copyOf(consumers);
        this.random = new SplittableRandom(seed);
        this.thread = new Thread(this::run, "history-dead-letter-operator");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (!stopping) {
            try {
                sample();
                operate();
            } catch (OutboxException e) {
                LOG.debug("the operator's read failed (a fault, probably): {}", e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("the operator's step failed", e);
            }
            try {
                TimeUnit.NANOSECONDS.sleep(SAMPLE_INTERVAL.toNanos());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Records the faulty consumers' status, with the time the read took. */
    List<History.StatusSample> sample() {
        long from = HistoryClock.nowMicros();
        List<ConsumerStatus> status = admin.status();
        long to = HistoryClock.nowMicros();
        List<History.StatusSample> samples = new ArrayList<>();
        for (ConsumerStatus consumer : status) {
            if (consumers.stream().anyMatch(c -> c.name().equals(consumer.name()))) {
                History.StatusSample sample = new History.StatusSample(
                        consumer.name(),
                        from,
                        to,
                        consumer.state(),
                        consumer.blockedAtSeq(),
                        consumer.checkpoint(),
                        consumer.parkedCount(),
                        consumer.lastError());
                history.sampled(sample);
                samples.add(sample);
            }
        }
        return samples;
    }

    /**
     * For each parking consumer with dead letters, one of: a re-drive of all of them (every 2 s on
     * average, as a job that re-drives after a fix, but only once the last re-drive was carried
     * out), of one, a discard of one (a person giving up on an event a handler failed on, rather
     * than one parked behind its key), or nothing but the look at the first page.
     */
    private void operate() {
        for (FaultyConsumer consumer : consumers) {
            if (!consumer.parks()) {
                continue;
            }
            List<DeadLetter> parked = list(consumer.name());
            if (parked.isEmpty()) {
                continue;
            }
            int action = random.nextInt(8);
            if (action == 0) {
                if (!redriveUnderway(parked)) {
                    admin.deadLetters().redriveAll(consumer.name());
                    redrives++;
                }
            } else if (action <= 2) {
                admin.deadLetters().redrive(consumer.name(), pick(parked));
                redrives++;
            } else if (action == 3) {
                List<DeadLetter> failed = parked.stream()
                        .filter(letter -> letter.errorClass() != null)
                        .toList();
                discard(consumer.name(), pick(failed.isEmpty() ? parked : failed));
            }
        }
    }

    /**
     * Whether the first page shows a re-drive not yet carried out: a key whose first letter is
     * asked for or in delivery (requests are served in seq order, and a key's first letter is
     * never held back by an earlier one). Asking again meanwhile would only flip the letters a
     * failed re-drive left parked back and forth; a request behind a parked letter of its key, which
     * waits for that one, does not count.
     */
    private static boolean redriveUnderway(List<DeadLetter> firstPage) {
        Set<String> keys = new HashSet<>();
        for (DeadLetter letter : firstPage) {
            if (keys.add(letter.record().aggregateId()) && letter.status() != DeadLetter.Status.PARKED) {
                return true;
            }
        }
        return false;
    }

    private void discard(String consumer, long seq) {
        long start = HistoryClock.nowMicros();
        try {
            if (admin.deadLetters().discard(consumer, seq, "the history run's operator gave up on it")) {
                history.discarded(new History.Discard(consumer, seq, start));
                discards++;
            }
        } catch (OutboxException e) {
            LOG.debug("discard of seq {} of {} refused: {}", seq, consumer, e.getMessage());
        }
    }

    private long pick(List<DeadLetter> parked) {
        return parked.get(random.nextInt(parked.size())).record().seq();
    }

    /** Lists the first page of a consumer's dead letters and records what it saw. */
    private List<DeadLetter> list(String consumer) {
        List<DeadLetter> parked = admin.deadLetters().list(consumer, 0, PAGE);
        for (DeadLetter letter : parked) {
            history.sighted(new History.ParkedSighting(
                    consumer, letter.record().seq(), letter.attempts(), letter.errorClass()));
        }
        return parked;
    }

    /** Re-drives everything still parked, until nothing is, or {@code timeout} passed. */
    void redriveEverything(HistorySchema schema, DataSource dataSource, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (schema.openDeadLetters(dataSource) > 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("dead letters still open " + timeout + " after the final re-drive began: "
                        + admin.status().stream()
                                .map(status -> status.name() + "=" + status.parkedCount())
                                .toList());
            }
            for (FaultyConsumer consumer : consumers) {
                if (!consumer.parks()) {
                    continue;
                }
                List<DeadLetter> parked = list(consumer.name());
                if (!parked.isEmpty() && !redriveUnderway(parked)) {
                    admin.deadLetters().redriveAll(consumer.name());
                }
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    /** Re-drives and discards issued during the run. */
    String summary() {
        return redrives + " re-drives, " + discards + " discards";
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        thread.interrupt();
        thread.join(TimeUnit.SECONDS.toMillis(10));
    }
}
