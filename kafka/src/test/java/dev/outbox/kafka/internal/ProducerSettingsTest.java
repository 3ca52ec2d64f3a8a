package dev.outbox.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.OutboxConfigurationException;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProducerSettingsTest {

    private static Properties properties(String... pairs) {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", "127.0.0.1:9092");
        for (int i = 0; i < pairs.length; i += 2) {
            properties.setProperty(pairs[i], pairs[i + 1]);
        }
        return properties;
    }

    private static ProducerSettings settings(boolean transactional, String... pairs) {
        Properties properties = properties(pairs);
        return new ProducerSettings(() -> properties, transactional);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "enable.idempotence|false|enable.idempotence=false is refused: the publisher needs the idempotent producer",
                "acks|1|acks=1 is refused: a record counts as published",
                "acks|0|acks=0 is refused",
                "max.in.flight.requests.per.connection|6|max.in.flight.requests.per.connection=6 is refused",
                "max.in.flight.requests.per.connection|2|=2 is refused at least once: a new producer's later request",
                "retries|0|retries=0 is refused",
                "value.serializer|org.apache.kafka.common.serialization.StringSerializer|give a ValueSerializer",
                "key.serializer|org.apache.kafka.common.serialization.StringSerializer|the key is the aggregate id",
                "partitioner.class|org.example.MyPartitioner|partitioner.class is refused",
                "partitioner.ignore.keys|true|partitioner.ignore.keys=true is refused",
                "transactional.id|mine|exactlyOnce(transactionalIdPrefix)",
            })
    void shouldRefuseAPropertyThatWeakensAGuaranteeWithTheReason(String name, String value, String message) {
        assertThatThrownBy(() -> settings(false, name, value).validate())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageStartingWith("KafkaPublisher: producer property ")
                .hasMessageContaining(message);
    }

    @Test
    void shouldRefuseSettingsWithoutBootstrapServers() {
        Properties empty = new Properties();
        assertThatThrownBy(() -> new ProducerSettings(() -> empty, false).validate())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("bootstrap.servers is missing");
    }

    @Test
    void shouldReportWhatKafkaItselfRefusesWhenTheSettingsAreChecked() {
        assertThatThrownBy(() -> settings(false, "linger.ms", "soon").validate())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageContaining("the producer properties are invalid")
                .hasMessageContaining("linger.ms");
    }

    @Test
    void shouldAcceptWhatItWouldSetItselfAndTheUsersTuning() {
        ProducerSettings.Checked checked = settings(
                        false,
                        "acks",
                        "-1",
                        "enable.idempotence",
                        "true",
                        "max.in.flight.requests.per.connection",
                        "1",
                        "max.request.size",
                        "2097152",
                        "linger.ms",
                        "20")
                .validate();
        assertThat(checked.maxRequestSize()).isEqualTo(2_097_152);
        assertThat(checked.deliveryTimeoutMillis()).isEqualTo(30_000);
        // a transaction that met a reordering write is aborted: exactly once may keep Kafka's 5
        assertThat(settings(true, "max.in.flight.requests.per.connection", "5").validate())
                .isNotNull();
        assertThatThrownBy(() -> settings(true, "max.in.flight.requests.per.connection", "6")
                        .validate())
                .hasMessageContaining("at most 5 requests in flight");
    }

    @Test
    void shouldSendOneRequestAtATimeAtLeastOnceAndLargerBatchesInBothModes() {
        assertThat(settings(false).producer("kafka-0", null))
                .containsEntry("max.in.flight.requests.per.connection", 1)
                .containsEntry("batch.size", 256 * 1024);
        assertThat(settings(false, "batch.size", "65536").producer("kafka-0", null))
                .containsEntry("batch.size", "65536");
        assertThat(settings(true).producer("kafka-0", "orders-kafka-0"))
                .doesNotContainKey("max.in.flight.requests.per.connection")
                .containsEntry("batch.size", 256 * 1024);
        assertThat(settings(true, "batch.size", "65536").producer("kafka-0", "orders-kafka-0"))
                .containsEntry("batch.size", "65536");
    }

    @Test
    void shouldSetWhatTheGuaranteesNeedAndChooseTheRecoveryStrategyAndTimeouts() {
        Map<String, Object> producer = settings(false, "client.id", "shop").producer("kafka-3", null);
        assertThat(producer)
                .containsEntry("enable.idempotence", true)
                .containsEntry("acks", "all")
                .containsEntry("metadata.recovery.strategy", "none")
                .containsEntry("delivery.timeout.ms", 30_000)
                .containsEntry("request.timeout.ms", 10_000)
                .containsEntry("client.id", "shop-kafka-3")
                .doesNotContainKey("transactional.id");
        assertThat(settings(true).producer("kafka-0", "orders-kafka-0"))
                .containsEntry("transactional.id", "orders-kafka-0")
                .containsEntry("client.id", "outbox-kafka-0");
        // the user's own timeouts are kept as they are
        assertThat(settings(false, "delivery.timeout.ms", "120000").producer("x", null))
                .containsEntry("delivery.timeout.ms", "120000")
                .doesNotContainKey("request.timeout.ms");
    }

    @Test
    void shouldGiveTheAdminAndTheCheckpointReaderOnlyTheirOwnSettings() {
        ProducerSettings settings = settings(
                false,
                "linger.ms",
                "20",
                "security.protocol",
                "SASL_SSL",
                "sasl.mechanism",
                "PLAIN",
                "group.id",
                "ignored");
        assertThat(settings.admin("admin"))
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN")
                .doesNotContainKeys("linger.ms", "group.id");
        assertThat(settings.committedReader("checkpoints"))
                .containsEntry("isolation.level", "read_committed")
                .containsEntry("enable.auto.commit", false)
                .containsEntry("security.protocol", "SASL_SSL")
                .doesNotContainKeys("linger.ms", "group.id");
    }

    @Test
    void shouldNeverPutAPasswordIntoAMessage() {
        String secret = "s3cr3t-password";
        assertThatThrownBy(() -> settings(
                                false,
                                "sasl.jaas.config",
                                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\""
                                        + " password=\"" + secret + "\";",
                                "acks",
                                "1")
                        .validate())
                .isInstanceOf(OutboxConfigurationException.class)
                .hasMessageNotContaining(secret);
    }
}
