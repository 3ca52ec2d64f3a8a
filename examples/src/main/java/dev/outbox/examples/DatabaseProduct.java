package dev.outbox.examples;

import java.util.Locale;

/**
 * Which database the example runs on, told by the JDBC URL's prefix. The few statements the example
 * spells differently per database switch on it; everything else is the same SQL on all three.
 */
public enum DatabaseProduct {
    POSTGRESQL("PostgreSQL", "jdbc:postgresql:"),
    MARIADB("MariaDB", "jdbc:mariadb:"),
    MYSQL("MySQL", "jdbc:mysql:");

    private final String displayName;
    private final String urlPrefix;

    DatabaseProduct(String displayName, String urlPrefix) {
        this.displayName = displayName;
        this.urlPrefix = urlPrefix;
    }

    /**
     * The product a JDBC URL names.
     *
     * @throws IllegalArgumentException for a URL of another database
     */
    static DatabaseProduct fromJdbcUrl(String jdbcUrl) {
        String url = jdbcUrl.toLowerCase(Locale.ROOT);
        for (DatabaseProduct product : values()) {
            if (url.startsWith(product.urlPrefix)) {
                return product;
            }
        }
        throw new IllegalArgumentException(
                "--jdbc-url must start with jdbc:postgresql:, jdbc:mariadb: or jdbc:mysql:," + " was " + jdbcUrl);
    }

    /** MariaDB or MySQL: a schema is a database, and the SQL is MySQL's. */
    boolean isMySqlFamily() {
        return this != POSTGRESQL;
    }

    @Override
    public String toString() {
        return displayName;
    }
}
