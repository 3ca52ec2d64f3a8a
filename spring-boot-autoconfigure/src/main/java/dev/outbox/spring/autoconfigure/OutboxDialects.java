package dev.outbox.spring.autoconfigure;

import dev.outbox.OutboxConfigurationException;
import dev.outbox.spi.OutboxDialect;
import dev.outbox.spring.autoconfigure.OutboxProperties.DatabaseDialect;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.util.ClassUtils;

/** The dialect of the application's database: named by {@code outbox.dialect}, or detected. */
final class OutboxDialects {

    private OutboxDialects() {}

    static OutboxDialect of(DataSource dataSource, @Nullable DatabaseDialect configured) {
        DatabaseDialect dialect = configured != null ? configured : detect(dataSource);
        return switch (dialect) {
            case POSTGRESQL -> {
                require("dev.outbox.postgres.PostgresDialect", "outbox-postgres", dialect);
                yield dev.outbox.postgres.PostgresDialect.create();
            }
            case MARIADB -> {
                require("dev.outbox.mysql.MariaDbDialect", "outbox-mysql", dialect);
                yield dev.outbox.mysql.MariaDbDialect.create();
            }
            case MYSQL -> {
                require("dev.outbox.mysql.MySqlDialect", "outbox-mysql", dialect);
                yield dev.outbox.mysql.MySqlDialect.create();
            }
        };
    }

    /** From the database's product name and version, as its driver reports them. */
    static DatabaseDialect detect(DataSource dataSource) {
        String product;
        String version;
        try (Connection connection = dataSource.getConnection()) {
            DatabaseMetaData metaData = connection.getMetaData();
            product = metaData.getDatabaseProductName();
            version = metaData.getDatabaseProductVersion();
        } catch (SQLException e) {
            throw new OutboxConfigurationException(
                    "outbox: cannot detect the database's dialect, the DataSource"
                            + " gave no connection (SQLState " + e.getSQLState() + "): " + e.getMessage()
                            + "; set outbox.dialect to postgresql, mariadb or mysql to start without asking the database",
                    e);
        }
        String name = (product + " " + version).toLowerCase(Locale.ROOT);
        if (name.contains("postgresql")) {
            return DatabaseDialect.POSTGRESQL;
        }
        if (name.contains("mariadb")) { // MySQL's driver reports MariaDB as "MySQL", its version says MariaDB
            return DatabaseDialect.MARIADB;
        }
        if (name.contains("mysql")) {
            return DatabaseDialect.MYSQL;
        }
        throw new OutboxConfigurationException("outbox supports PostgreSQL, MariaDB and MySQL; the DataSource's"
                + " database is '" + product + "'. Give the outbox a DataSource of one of those");
    }

    private static void require(String dialectClass, String artifact, DatabaseDialect dialect) {
        if (!ClassUtils.isPresent(dialectClass, OutboxDialects.class.getClassLoader())) {
            throw new OutboxConfigurationException("outbox: the database is " + dialect + ", but " + artifact
                    + " is not on the class path; add the dependency dev.outbox:" + artifact
                    + " (outbox-spring-boot-starter brings it)");
        }
    }
}
