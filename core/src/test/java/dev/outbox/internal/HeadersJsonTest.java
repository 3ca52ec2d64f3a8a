package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeadersJsonTest {

    @Test
    void shouldRoundTripHeadersWithCharactersThatNeedEscaping() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.put("quote\"and\\backslash", "line\nbreak\ttab \u0001 \uD83D\uDE00");

        String json = HeadersJson.write(headers);

        assertThat(HeadersJson.read(json)).containsExactlyEntriesOf(headers);
    }

    @Test
    void shouldStoreNoHeadersAsNull() {
        assertThat(HeadersJson.write(Map.of())).isNull();
        assertThat(HeadersJson.read(null)).isEmpty();
    }

    @Test
    void shouldKeepNonStringValuesOfForeignJsonAsTheirText() {
        assertThat(HeadersJson.read("{\"retries\": 3, \"trace\": {\"id\": \"a,b\"}, \"ok\": true}"))
                .containsExactly(
                        Map.entry("retries", "3"), Map.entry("trace", "{\"id\": \"a,b\"}"), Map.entry("ok", "true"));
    }

    @Test
    void shouldKeepTextThatIsNotAJsonObjectAsOneRawHeader() {
        assertThat(HeadersJson.read("not json")).containsExactly(Map.entry("_raw", "not json"));
    }
}
