package dev.outbox.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void shouldRunOnTheEmbeddedPostgresWithoutAUrl() {
        Settings settings = Settings.defaults();

        assertThat(settings.product()).isEqualTo(DatabaseProduct.POSTGRESQL);
        assertThat(settings.user()).isEqualTo("postgres");
    }

    @Test
    void shouldPublishToKafkaOnlyWhenAskedFor() {
        assertThat(Settings.defaults().kafka()).isFalse();
        assertThat(Settings.parse("--kafka").orElseThrow().kafka()).isTrue();
    }

    @Test
    void shouldTellTheDatabaseFromTheUrlPrefix() {
        assertThat(product("jdbc:postgresql://127.0.0.1:5432/test")).isEqualTo(DatabaseProduct.POSTGRESQL);
        assertThat(product("jdbc:mariadb://127.0.0.1:3306/test?sslMode=disable"))
                .isEqualTo(DatabaseProduct.MARIADB);
        assertThat(product("jdbc:mysql://127.0.0.1:3307/test")).isEqualTo(DatabaseProduct.MYSQL);
    }

    @Test
    void shouldDefaultTheUserToRootOnMariaDbAndMySql() {
        assertThat(Settings.parse("--jdbc-url", "jdbc:mariadb://h/test")
                        .orElseThrow()
                        .user())
                .isEqualTo("root");
        assertThat(Settings.parse("--jdbc-url", "jdbc:mariadb://h/test", "--user", "app")
                        .orElseThrow()
                        .user())
                .isEqualTo("app");
        assertThat(Settings.parse("--jdbc-url", "jdbc:postgresql://h/test")
                        .orElseThrow()
                        .user())
                .isEqualTo("postgres");
    }

    @Test
    void shouldRefuseTheUrlOfAnotherDatabase() {
        assertThatThrownBy(() -> Settings.parse("--jdbc-url", "jdbc:oracle:thin:@h:1521/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:mariadb:")
                .hasMessageContaining("jdbc:oracle:thin:@h:1521/x");
    }

    @Test
    void shouldRefuseASearchThatIsNotOneWord() {
        assertThatThrownBy(() -> Settings.parse("--search", "distributed systems"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("one word");
        assertThatThrownBy(() -> Settings.parse("--search", "a.*")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Settings.parse("--search", "Consensus").orElseThrow().search())
                .isEqualTo("Consensus");
    }

    @Test
    void shouldTakeThePasswordFromTheEnvironmentOnly() {
        assertThat(Settings.parse(Map.of(Settings.PASSWORD_VARIABLE, "s3cret"), "--jdbc-url", "jdbc:postgresql://h/t")
                        .orElseThrow()
                        .password())
                .contains("s3cret");
        assertThatThrownBy(() -> Settings.parse("--password", "s3cret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Settings.PASSWORD_VARIABLE)
                .hasMessageNotContaining("s3cret");
    }

    private static DatabaseProduct product(String url) {
        return Settings.parse("--jdbc-url", url).orElseThrow().product();
    }
}
