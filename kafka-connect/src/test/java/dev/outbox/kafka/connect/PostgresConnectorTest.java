package dev.outbox.kafka.connect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxEvent;
import dev.outbox.localkafka.LocalConnect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PostgresConnectorTest extends ConnectorTestBase {

    @Override
    protected TestDatabases database() {
        return TestDatabases.POSTGRESQL;
    }

    /**
     * The password, given through the worker's file config provider, is in neither the worker's log
     * nor what its REST API shows of the connector and its tasks (PostgreSQL here trusts local
     * connections, so any password connects).
     */
    @Test
    void shouldKeepThePasswordOutOfTheWorkersLogAndRestOutput() throws Exception {
        String secret = "s3cret-" + UUID.randomUUID();
        Path secrets = connect().directory().resolve(uniqueName("secrets") + ".properties");
        Files.writeString(secrets, "password=" + secret + "\n", StandardCharsets.UTF_8);
        String topic = uniqueName("secret");
        createTopic(topic, 1);
        appendCommitted(OutboxEvent.of("course", "course-1", "Created", "{}"));
        String name = uniqueName("outbox-secret");
        Map<String, String> config = connectorConfig(
                uniqueName("secret"),
                Map.of("outbox.topic", topic, "outbox.jdbc.password", "${file:" + secrets + ":password}"));
        putConnector(name, config);
        awaitRunning(name, 1);
        assertThat(readCommitted(topic, 1, TIMEOUT)).hasSize(1);

        LocalConnect.Response shown = connect().request("GET", "/connectors/" + name + "/config", null);
        assertThat(shown.body()).contains("${file:").doesNotContain(secret);
        assertThat(connect().request("GET", "/connectors/" + name, null).body()).doesNotContain(secret);
        assertThat(connect()
                        .request("GET", "/connectors/" + name + "/tasks", null)
                        .body())
                .doesNotContain(secret);
        // a literal password too is never logged, by Connect or the connector (Connect's REST API
        // shows a literal as given: hence the config provider)
        String literal = "l1teral-" + UUID.randomUUID();
        Map<String, String> validate = new HashMap<>(config);
        validate.put("outbox.jdbc.password", literal);
        validate.put("name", name);
        LocalConnect.Response validated =
                connect().request("PUT", "/connector-plugins/OutboxSourceConnector/config/validate", json(validate));
        assertThat(validated.body()).contains("\"error_count\":0").doesNotContain(literal);
        assertThat(Files.readString(connect().logFile(), StandardCharsets.UTF_8))
                .doesNotContain(secret)
                .doesNotContain(literal);
    }

    /** Connect's validation refuses a bad configuration and names the property. */
    @Test
    void shouldRefuseABadConfigurationThroughTheRestApiNamingTheProperty() {
        Map<String, String> config = new HashMap<>(connectorConfig(uniqueName("bad"), Map.of()));
        config.put("outbox.table.prefix", "no_such_");
        config.put("name", uniqueName("bad"));
        LocalConnect.Response validated =
                connect().request("PUT", "/connector-plugins/OutboxSourceConnector/config/validate", json(config));
        assertThat(validated.body()).contains("\"error_count\":1");
        assertThat(validated.body()).containsPattern("\"name\":\"outbox\\.(schema|table\\.prefix)\"");
    }
}
