package dev.outbox.testkit;

import static dev.outbox.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {

    @Test
    void shouldReturnOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();
        await().atMost(Duration.ofSeconds(5)).until(() -> polls.incrementAndGet() >= 3);
        assertThat(polls.get()).isEqualTo(3);
    }

    @Test
    void shouldFailWithTheDescriptionWhenTheConditionNeverHolds() {
        assertThatThrownBy(() ->
                        await("the impossible").atMost(Duration.ofMillis(100)).until(() -> false))
                .isInstanceOf(AssertionError.class)
                .hasMessage("the impossible did not hold within 100 ms");
    }

    @Test
    void shouldWaitUntilTheConditionHeldForTheWholeDuration() {
        AtomicInteger polls = new AtomicInteger();
        long started = System.nanoTime();
        // false on every fifth poll: holds for 4 polls (about 80 ms) at most, then holds for good
        await().during(Duration.ofMillis(200))
                .atMost(Duration.ofSeconds(5))
                .until(() -> polls.incrementAndGet() > 20 || polls.get() % 5 != 0);
        assertThat(polls.get()).isGreaterThan(20);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
    }

    @Test
    void shouldFailWhenTheConditionBreaksDuringTheDuration() {
        AtomicInteger polls = new AtomicInteger();
        assertThatThrownBy(() -> await().during(Duration.ofMillis(200))
                        .atMost(Duration.ofMillis(500))
                        .until(() -> polls.incrementAndGet() % 5 != 0))
                .hasMessageContaining("did not hold for 200 ms in a row within 500 ms");
    }

    @Test
    void shouldFailAtOnceOnAnExceptionItDoesNotIgnore() {
        AtomicInteger polls = new AtomicInteger();
        assertThatThrownBy(() -> await().atMost(Duration.ofSeconds(5)).until(() -> {
                    polls.incrementAndGet();
                    throw new IllegalStateException("broken");
                }))
                .isInstanceOf(AssertionError.class)
                .hasRootCauseMessage("broken");
        assertThat(polls.get()).isEqualTo(1);
    }

    @Test
    void shouldCountAnIgnoredExceptionAsNotYet() {
        AtomicInteger polls = new AtomicInteger();
        await().atMost(Duration.ofSeconds(5)).ignoring(SQLException.class).until(() -> {
            if (polls.incrementAndGet() < 3) {
                throw new SQLException("not yet");
            }
            return true;
        });
        assertThat(polls.get()).isEqualTo(3);
    }
}
