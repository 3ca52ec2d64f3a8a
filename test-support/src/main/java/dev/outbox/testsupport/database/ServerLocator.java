package dev.outbox.testsupport.database;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import org.testcontainers.DockerClientFactory;

/** Shared steps of the server locators: settings from the environment, probes, Docker detection. */
final class ServerLocator {

    private ServerLocator() {}

    /** An environment variable, or the system property of the same name in lower case with dots. */
    static @Nullable String setting(String environmentVariable) {
        String value = System.getenv(environmentVariable);
        if (value == null || value.isBlank()) {
            value = System.getProperty(
                    environmentVariable.toLowerCase(Locale.ROOT).replace('_', '.'));
        }
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Whether a connection can be opened within a few seconds; the failure otherwise. */
    static @Nullable String probe(String url, String user, @Nullable String password) {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("connectTimeout", url.startsWith("jdbc:postgresql") ? "3" : "3000");
        try (Connection connection = DriverManager.getConnection(url, properties)) {
            return connection.isValid(3) ? null : "connection not valid";
        } catch (SQLException e) {
            return e.getMessage();
        }
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) {
            return false;
        }
    }
}
