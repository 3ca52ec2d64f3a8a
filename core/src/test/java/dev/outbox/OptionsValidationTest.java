package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class OptionsValidationTest {

    @Test
    void shouldNameThePropertyAndTheValueOfAnInvalidRelayOption() {
        assertThatThrownBy(() -> RelayOptions.builder().sequencerBatchSize(0).build())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessage("relay: sequencerBatchSize must be in [1, 100000], was 0");
        assertThatThrownBy(() -> RelayOptions.builder()
                        .pollFloor(Duration.ofSeconds(2))
                        .pollCeiling(Duration.ofSeconds(1))
                        .build())
                .hasMessageContaining("relay: pollFloor must be in [PT0S, PT1S], was PT2S");
        assertThatThrownBy(() -> RelayOptions.builder()
                        .leaseDuration(Duration.ofMillis(10))
                        .build())
                .hasMessageContaining("leaseDuration");
        assertThatThrownBy(() -> RelayOptions.builder().relayId(" ").build()).hasMessageContaining("relayId");
    }

    @Test
    void shouldValidateRelayOptionsBuiltWithTheirConstructorToo() {
        RelayOptions valid = RelayOptions.defaults();
        assertThatThrownBy(() -> new RelayOptions(
                        "r1",
                        0,
                        valid.pollFloor(),
                        valid.pollCeiling(),
                        valid.leaseDuration(),
                        valid.shutdownTimeout(),
                        false,
                        valid.logRetention(),
                        valid.retentionInterval(),
                        valid.clock()))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessage("relay: sequencerBatchSize must be in [1, 100000], was 0");
        assertThatThrownBy(() -> new RelayOptions(
                        "r1",
                        1000,
                        Duration.ZERO,
                        Duration.ZERO,
                        valid.leaseDuration(),
                        valid.shutdownTimeout(),
                        false,
                        valid.logRetention(),
                        valid.retentionInterval(),
                        valid.clock()))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessage("relay: pollCeiling must be in [PT0.001S, PT1H], was PT0S");
        assertThatThrownBy(() -> new RelayOptions(
                        "r1",
                        1000,
                        valid.pollFloor(),
                        valid.pollCeiling(),
                        null,
                        valid.shutdownTimeout(),
                        false,
                        valid.logRetention(),
                        valid.retentionInterval(),
                        valid.clock()))
                .hasMessage("relay: leaseDuration must be in [PT0.3S, PT1H], was null");
    }

    @Test
    void shouldHaveDocumentedDefaults() {
        RelayOptions defaults = RelayOptions.defaults();
        assertThat(defaults.sequencerBatchSize()).isEqualTo(5000);
        assertThat(defaults.pollFloor()).isEqualTo(Duration.ofMillis(10));
        assertThat(defaults.pollCeiling()).isEqualTo(Duration.ofSeconds(2));
        assertThat(defaults.leaseDuration()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.listenForNotifications()).isFalse();
        assertThat(defaults.relayId()).isNotBlank();
        assertThat(defaults.toBuilder().build()).isEqualTo(defaults);
    }

    @Test
    void shouldNameTheConsumerInItsValidationMessages() {
        EventHandler ignore = batch -> {};
        assertThatThrownBy(() -> OutboxConsumer.atLeastOnce("search-index", ignore)
                        .batchSize(0)
                        .build())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessage("consumer 'search-index': batchSize must be in [1, 10000], was 0");
        assertThatThrownBy(() -> OutboxConsumer.atLeastOnce("has space", ignore).build())
                .hasMessageContaining("consumer name must be");
        assertThatThrownBy(() -> RetryPolicy.of(Duration.ofSeconds(2), Duration.ofSeconds(1), 3))
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("initialBackoff <= maxBackoff");
        assertThatThrownBy(() -> RetryPolicy.DEFAULT.withJitter(1.5)).hasMessageContaining("jitter must be in [0, 1]");
    }

    @Test
    void shouldRefuseAConsumerNameTwiceOnOneRelay() {
        OutboxRelay.Builder builder = OutboxRelay.builder(new NoDataSource(), new NoDialect())
                .atLeastOnce("c", batch -> {})
                .transactional("c", (batch, connection) -> {});
        assertThatThrownBy(builder::build).hasMessageContaining("consumer 'c' is registered twice");
    }

    @Test
    void shouldValidateTableNamesAsIdentifiers() {
        assertThat(OutboxTables.of("app", "shop_").eventTable()).isEqualTo("shop_event");
        assertThat(OutboxTables.defaults().qualified("outbox_log")).isEqualTo("outbox_log");
        assertThatThrownBy(() -> OutboxTables.of("App", "x_")).hasMessageContaining("schema must be a lower-case");
        assertThatThrownBy(() -> OutboxTables.of(null, "x-y")).hasMessageContaining("prefix must be a lower-case");
    }

    @Test
    void shouldRefuseAnInvalidWriterLimit() {
        assertThatThrownBy(() ->
                        OutboxWriter.builder(new NoDialect()).maxPayloadBytes(0).build())
                .hasMessage("writer: maxPayloadBytes must be in [1, 1073741824], was 0");
    }
}
