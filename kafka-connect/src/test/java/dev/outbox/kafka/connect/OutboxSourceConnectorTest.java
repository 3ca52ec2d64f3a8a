package dev.outbox.kafka.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.junit.jupiter.api.Test;

/** The connector without a worker: validation, task assignment, offsets. No database needed. */
class OutboxSourceConnectorTest {

    private static Map<String, String> valid() {
        Map<String, String> config = new HashMap<>();
        // a port nothing listens on: validation reaches the database last, and says so on the URL
        config.put("outbox.jdbc.url", "jdbc:postgresql://127.0.0.1:1/test?connectTimeout=2");
        config.put("outbox.jdbc.user", "app");
        config.put("outbox.jdbc.password", "pw-never-shown");
        config.put("outbox.consumer", "orders-to-kafka");
        config.put("key.converter", OutboxSourceConnector.BYTE_ARRAY_CONVERTER);
        config.put("value.converter", OutboxSourceConnector.BYTE_ARRAY_CONVERTER);
        return config;
    }

    private static Map<String, List<String>> errors(Map<String, String> config) {
        return new OutboxSourceConnector()
                .validate(config).configValues().stream()
                        .filter(value -> !value.errorMessages().isEmpty())
                        .collect(Collectors.toMap(ConfigValue::name, ConfigValue::errorMessages, (a, b) -> a));
    }

    private static Map<String, List<String>> errorsWith(String property, String value) {
        Map<String, String> config = valid();
        config.put(property, value);
        return errors(config);
    }

    @Test
    void shouldRefuseEachBadPropertyByName() {
        assertThat(errorsWith("outbox.jdbc.url", "jdbc:oracle:thin:@x")).containsOnlyKeys("outbox.jdbc.url");
        assertThat(errorsWith("outbox.jdbc.url", "jdbc:postgresql://h/db?password=x"))
                .containsOnlyKeys("outbox.jdbc.url");
        assertThat(errorsWith("outbox.consumer", "bad name!")).containsOnlyKeys("outbox.consumer");
        assertThat(errorsWith("outbox.partitions", "0")).containsOnlyKeys("outbox.partitions");
        assertThat(errorsWith("outbox.batch.size", "0")).containsOnlyKeys("outbox.batch.size");
        assertThat(errorsWith("outbox.poll.interval.ms", "-1")).containsOnlyKeys("outbox.poll.interval.ms");
        assertThat(errorsWith("outbox.table.prefix", "bad-prefix\"")).containsOnlyKeys("outbox.table.prefix");
        assertThat(errorsWith("outbox.schema", "bad schema\"")).containsOnlyKeys("outbox.schema");
        assertThat(errorsWith("outbox.topic", "no spaces")).containsOnlyKeys("outbox.topic");
        assertThat(errorsWith("outbox.topic.prefix", "")).containsOnlyKeys("outbox.topic.prefix");
        assertThat(errorsWith("outbox.topic.router", "java.lang.String")).containsOnlyKeys("outbox.topic.router");
        assertThat(errorsWith("key.converter", "org.apache.kafka.connect.json.JsonConverter"))
                .containsOnlyKeys("key.converter");
        Map<String, String> noConsumer = valid();
        noConsumer.remove("outbox.consumer");
        assertThat(errors(noConsumer)).containsOnlyKeys("outbox.consumer");
        Map<String, String> noValueConverter = valid();
        noValueConverter.remove("value.converter");
        assertThat(errors(noValueConverter).get("value.converter").get(0))
                .contains("must be org.apache.kafka.connect.converters.ByteArrayConverter");
    }

    @Test
    void shouldSayWhenTheDatabaseCannotBeReachedWithoutShowingThePassword() {
        Map<String, List<String>> errors = errors(valid());
        assertThat(errors).containsOnlyKeys("outbox.jdbc.url");
        assertThat(errors.get("outbox.jdbc.url").get(0))
                .startsWith("cannot connect to the database")
                .doesNotContain("pw-never-shown");
        assertThat(new OutboxSourceConnector()
                        .validate(valid()).configValues().stream()
                                .filter(value -> value.name().equals("outbox.jdbc.password"))
                                .findFirst()
                                .orElseThrow()
                                .value()
                                .toString())
                .isEqualTo("[hidden]");
    }

    @Test
    void shouldGiveEachTaskAContiguousGroupOfPartitionsAndNoMoreTasksThanPartitions() {
        OutboxSourceConnector connector = new OutboxSourceConnector();
        Map<String, String> config = valid();
        config.put("outbox.partitions", "5");
        connector.start(config);
        assertThat(connector.taskConfigs(2))
                .extracting(task -> task.get(OutboxSourceConfig.TASK_PARTITIONS_CONFIG))
                .containsExactly("0,1,2", "3,4");
        assertThat(connector.taskConfigs(8)).hasSize(5);
        assertThat(connector.taskConfigs(1))
                .extracting(task -> task.get(OutboxSourceConfig.TASK_PARTITIONS_CONFIG))
                .containsExactly("0,1,2,3,4");
        assertThat(connector.exactlyOnceSupport(config)).isEqualTo(ExactlyOnceSupport.SUPPORTED);
    }

    @Test
    void shouldAcceptAnOperatorsOffsetsOfItsOwnPartitionsOnly() {
        OutboxSourceConnector connector = new OutboxSourceConnector();
        Map<String, String> config = valid();
        config.put("outbox.partitions", "2");
        Map<String, Object> partition1 = OutboxSourceTask.sourcePartition("outbox_", "orders-to-kafka", 1);
        Map<Map<String, ?>, Map<String, ?>> offsets = new HashMap<>();
        offsets.put(partition1, Map.of("seq", 0L));
        assertThat(connector.alterOffsets(config, offsets)).isTrue();
        offsets.put(partition1, null); // reset: back to the row's checkpoint
        assertThat(connector.alterOffsets(config, offsets)).isTrue();

        offsets.put(partition1, Map.of("seq", -1L));
        assertThatThrownBy(() -> connector.alterOffsets(config, offsets))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("{\"seq\": N}, N >= 0");
        Map<Map<String, ?>, Map<String, ?>> foreign = new HashMap<>();
        foreign.put(OutboxSourceTask.sourcePartition("outbox_", "orders-to-kafka", 2), Map.of("seq", 1L));
        assertThatThrownBy(() -> connector.alterOffsets(config, foreign))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("not a source partition of this connector");
    }
}
