package dev.outbox.testsupport.faults;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Properties;

/**
 * A test pool's connection settings (URL, user, password, schema, session settings, driver
 * properties) written to properties for a {@link ChildJvm}, and a pool made from them there, that
 * connects as the test's pool does.
 */
public final class PoolSettings {

    private PoolSettings() {}

    /** Adds the connection settings of {@code pool} to {@code settings}. */
    public static void write(HikariDataSource pool, Properties settings) {
        settings.setProperty("jdbcUrl", pool.getJdbcUrl());
        settings.setProperty("username", pool.getUsername());
        if (pool.getPassword() != null) {
            settings.setProperty("password", pool.getPassword());
        }
        if (pool.getSchema() != null) {
            settings.setProperty("poolSchema", pool.getSchema());
        }
        if (pool.getConnectionInitSql() != null) {
            settings.setProperty("connectionInitSql", pool.getConnectionInitSql());
        }
        for (Map.Entry<Object, Object> property : pool.getDataSourceProperties().entrySet()) {
            settings.setProperty("dsprop." + property.getKey(), String.valueOf(property.getValue()));
        }
    }

    /** A pool named {@code name} of at most {@code size} connections, from what {@link #write} wrote. */
    public static HikariDataSource open(Properties settings, String name, int size) {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(settings.getProperty("jdbcUrl"));
        pool.setUsername(settings.getProperty("username"));
        if (settings.getProperty("password") != null) {
            pool.setPassword(settings.getProperty("password"));
        }
        if (settings.getProperty("poolSchema") != null) {
            pool.setSchema(settings.getProperty("poolSchema"));
        }
        if (settings.getProperty("connectionInitSql") != null) {
            pool.setConnectionInitSql(settings.getProperty("connectionInitSql"));
        }
        for (String property : settings.stringPropertyNames()) {
            if (property.startsWith("dsprop.")) {
                pool.addDataSourceProperty(property.substring("dsprop.".length()), settings.getProperty(property));
            }
        }
        pool.setPoolName(name);
        pool.setMaximumPoolSize(size);
        pool.setConnectionTimeout(5_000);
        return new HikariDataSource(pool);
    }

    /** Reads the settings file a {@link ChildJvm} gives its main class. */
    public static Properties load(String file) throws IOException {
        Properties settings = new Properties();
        try (var in = Files.newBufferedReader(Paths.get(file), StandardCharsets.UTF_8)) {
            settings.load(in);
        }
        return settings;
    }
}
