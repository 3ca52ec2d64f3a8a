package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void shouldDoubleFromTheFloorToTheCeilingAndResetToTheFloor() {
        Backoff backoff = new Backoff(Duration.ofMillis(10), Duration.ofMillis(70));

        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(10));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(20));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(40));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(70));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(70));
        backoff.reset();
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(10));
    }

    @Test
    void shouldGrowFromAZeroFloor() {
        Backoff backoff = new Backoff(Duration.ZERO, Duration.ofMillis(4));

        assertThat(backoff.next()).isEqualTo(Duration.ZERO);
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(1));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(2));
    }
}
