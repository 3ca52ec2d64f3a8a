package dev.outbox.kafka.connect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.OutboxEvent;
import dev.outbox.localkafka.LocalConnect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PostgresConnectorTest extends ConnectorTestBase {

    @Override
    protected TestDatabases database() {
        return TestDatabases.POSTGRESQL;
    }

    /**
     * The configuration the READMEs show works as it is, with only the database's address, schema,
     * consumer, topic prefix and secrets file replaced; and its password, given through the worker's
     * file config provider, is in neither the worker's log nor what its REST API shows of the
     * connector and its tasks (PostgreSQL here trusts local connections, so any password connects).
     */
    @Test
    void shouldRunTheReadmesConfigurationAndKeepThePasswordOutOfTheWorkersLogAndRestOutput() throws Exception {
        Map<String, String> readme = readmeConfig();
        String secret = "s3cret-" + UUID.randomUUID();
        Path secrets = connect().directory().resolve(uniqueName("secrets") + ".properties");
        Files.writeString(secrets, "password=" + secret + "\n", StandardCharsets.UTF_8);
        String prefix = uniqueName("readme");
        createTopic(prefix + ".course", 3);
        appendCommitted(OutboxEvent.of("course", "course-1", "Created", "{}"));
        String name = uniqueName("outbox-readme");
        Map<String, String> config = new LinkedHashMap<>(readme);
        Map<String, String> ours = connectorConfig(uniqueName("readme"), Map.of("outbox.topic.prefix", prefix));
        for (String replaced : List.of(
                "outbox.jdbc.url", "outbox.jdbc.user", "outbox.schema", "outbox.consumer", "outbox.topic.prefix")) {
            assertThat(readme).containsKey(replaced);
            config.put(replaced, ours.get(replaced));
        }
        config.put("outbox.table.prefix", ours.get("outbox.table.prefix"));
        assertThat(readme.get("outbox.jdbc.password")).startsWith("${file:").endsWith(":password}");
        config.put("outbox.jdbc.password", "${file:" + secrets + ":password}");
        putConnector(name, config);
        awaitRunning(name, Integer.parseInt(readme.get("tasks.max")));
        assertThat(readCommitted(prefix + ".course", 1, TIMEOUT)).hasSize(1);

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

    /** The JSON configuration of kafka-connect/README.md, which the project's README quotes too. */
    private static Map<String, String> readmeConfig() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("```json\n");
        String block = readme.substring(start, readme.indexOf("```\n", start + 7) + 4);
        assertThat(Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8))
                .as("the project's README quotes the module README's configuration")
                .contains(block);
        Map<String, String> config = new LinkedHashMap<>();
        Matcher property = Pattern.compile("\"([^\"]+)\": \"([^\"]*)\"").matcher(block);
        while (property.find()) {
            config.put(property.group(1), property.group(2));
        }
        return config;
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
