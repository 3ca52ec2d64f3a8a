package dev.outbox.mysql.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServerVersionTest {

    @Test
    void shouldParseWhatMySqlAndMariaDbReport() {
        assertThat(ServerVersion.parse("10.11.19-MariaDB-0+deb12u1"))
                .isEqualTo(new ServerVersion(true, 10, 11, 19, "10.11.19-MariaDB-0+deb12u1"));
        assertThat(ServerVersion.parse("5.5.5-10.6.18-MariaDB-log").mariaDb()).isTrue();
        assertThat(ServerVersion.parse("5.5.5-10.6.18-MariaDB-log").major()).isEqualTo(10);
        assertThat(ServerVersion.parse("8.0.36")).isEqualTo(new ServerVersion(false, 8, 0, 36, "8.0.36"));
        assertThat(ServerVersion.parse("8.4.2-log").mariaDb()).isFalse();
        assertThat(ServerVersion.parse("11.4.2-MariaDB").describe()).isEqualTo("MariaDB 11.4.2-MariaDB");
        assertThatThrownBy(() -> ServerVersion.parse("PostgreSQL 15")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldCompareVersions() {
        ServerVersion v = ServerVersion.parse("8.0.13");
        assertThat(v.atLeast(8, 0, 13)).isTrue();
        assertThat(v.atLeast(8, 0, 14)).isFalse();
        assertThat(v.atLeast(5, 7, 44)).isTrue();
        assertThat(ServerVersion.parse("10.5.25-MariaDB").atLeast(10, 6, 0)).isFalse();
        assertThat(ServerVersion.parse("11.0.1-MariaDB").atLeast(10, 6, 0)).isTrue();
    }
}
