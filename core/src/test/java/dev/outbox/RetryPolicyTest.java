package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void shouldDoubleTheBackoffUpToTheCap() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(10), Duration.ofSeconds(40), 0, 5);

        assertThat(policy.backoff(1)).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.backoff(2)).isEqualTo(Duration.ofSeconds(20));
        assertThat(policy.backoff(3)).isEqualTo(Duration.ofSeconds(40));
        assertThat(policy.backoff(4)).isEqualTo(Duration.ofSeconds(40));
        assertThat(policy.backoff(1_000)).isEqualTo(Duration.ofSeconds(40));
    }

    @Test
    void shouldShortenEachWaitByAtMostTheJitterFraction() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(8), 0.25, 5);
        SplittableRandom random = new SplittableRandom(42);

        for (int attempt = 1; attempt <= 6; attempt++) {
            Duration full = policy.backoff(attempt);
            for (int i = 0; i < 200; i++) {
                Duration jittered = policy.backoff(attempt, random);
                assertThat(jittered)
                        .isLessThanOrEqualTo(full)
                        .isGreaterThanOrEqualTo(full.multipliedBy(3).dividedBy(4));
            }
        }
    }

    @Test
    void shouldBeExactWithoutJitter() {
        RetryPolicy policy = RetryPolicy.DEFAULT.withJitter(0);
        assertThat(policy.backoff(3, new SplittableRandom())).isEqualTo(Duration.ofMillis(400));
    }
}
