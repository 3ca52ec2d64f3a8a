package dev.outbox.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxConsumer;
import dev.outbox.OutboxException;
import dev.outbox.OutboxLog;
import dev.outbox.OutboxRelay;
import dev.outbox.OutboxSchemaException;
import dev.outbox.OutboxTables;
import dev.outbox.RelayOptions;
import dev.outbox.spi.OutboxDialect;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * One command's connection to the outbox tables: a small pool and an un-started relay that
 * registers no consumer, which serves status, the log, dead letters, resets and deletes without
 * sequencing or consuming anything. Closed when the command ends.
 */
final class Database implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final OutboxDialect dialect;
    private final OutboxTables tables;
    private final OutboxRelay relay;
    private final String relayId;

    private Database(HikariDataSource dataSource, OutboxDialect dialect, OutboxTables tables) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.tables = tables;
        this.relayId = "outbox-cli/" + ProcessHandle.current().pid();
        this.relay = OutboxRelay.builder(dataSource, dialect)
                .tables(tables)
                .options(RelayOptions.builder().relayId(relayId).build())
                .build();
    }

    /**
     * Connects as the options say, with the password from {@code --password-file}, else {@code
     * OUTBOX_PASSWORD}, else a prompt on a terminal.
     *
     * @throws IllegalArgumentException for options that cannot work (a URL with a password, an
     *     unknown scheme, a bad schema name, an unreadable password file)
     * @throws DatabaseUnavailableException if no connection can be made
     */
    static Database open(ConnectionOptions options, CliContext context) {
        String url = options.jdbcUrl;
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("--jdbc-url (or OUTBOX_JDBC_URL) is required");
        }
        JdbcUrls.refusePassword(url);
        OutboxDialect dialect = JdbcUrls.dialect(url);
        OutboxTables tables = options.tables();
        requireDriver(url);

        HikariConfig config = new HikariConfig();
        config.setPoolName("outbox-cli");
        config.setJdbcUrl(url);
        if (options.user != null && !options.user.isBlank()) {
            config.setUsername(options.user);
        }
        char[] password = password(options, context);
        if (password != null) {
            config.setPassword(new String(password));
            Arrays.fill(password, '\0');
        }
        // Two connections: the relay's reads are sequential; the second is spare for its lookups.
        config.setMaximumPoolSize(2);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(Math.max(250, options.connectTimeout.toMillis()));
        // Fail at once when the first connection cannot be made, instead of on the first query.
        config.setInitializationFailTimeout(1);
        try {
            return new Database(new HikariDataSource(config), dialect, tables);
        } catch (RuntimeException e) {
            throw new DatabaseUnavailableException(
                    "cannot connect to " + JdbcUrls.masked(url) + userText(options) + ": " + rootMessage(e), e);
        }
    }

    OutboxRelay relay() {
        return relay;
    }

    OutboxLog log() {
        return relay.log();
    }

    OutboxTables tables() {
        return tables;
    }

    /** {@code schema.outbox_*}: the tables, for messages. */
    String tablesText() {
        return tables.qualified(tables.prefix() + "*");
    }

    /** The id this tool's relay would show in lease columns; it never takes a lease. */
    String relayId() {
        return relayId;
    }

    HikariDataSource dataSource() {
        return dataSource;
    }

    /**
     * Checks that the outbox tables are there at the version this tool's core needs, before a
     * command reads them.
     *
     * @throws DatabaseUnavailableException if they are not (naming the migration to run), or the
     *     database cannot be read
     */
    void requireSchema() {
        try {
            relay.checkSchema();
        } catch (OutboxSchemaException e) {
            throw new DatabaseUnavailableException(
                    e.getMessage() + " (with this tool: outbox migrate, with the same connection options)", e);
        } catch (OutboxException e) {
            throw new DatabaseUnavailableException(e.getMessage(), e);
        }
    }

    /**
     * A relay, not started, that registers consumer {@code name} split into {@code partitions}: core
     * resets one partition only through a relay that declares the consumer's partitions. Its handler
     * is never called.
     */
    OutboxRelay relayDeclaring(String name, int partitions) {
        OutboxConsumer placeholder = OutboxConsumer.atLeastOnce(name, batch -> {
                    throw new IllegalStateException("the outbox tool never delivers events");
                })
                .partitions(partitions)
                .build();
        return OutboxRelay.builder(dataSource, dialect)
                .tables(tables)
                .options(RelayOptions.builder().relayId(relayId).build())
                .consumer(placeholder)
                .build();
    }

    @Override
    public void close() {
        relay.close();
        dataSource.close();
    }

    private static void requireDriver(String url) {
        try {
            DriverManager.getDriver(url);
        } catch (SQLException e) {
            String scheme = JdbcUrls.scheme(url);
            String jar = scheme.equals("jdbc:mariadb")
                    ? "mariadb-java-client.jar (MariaDB Connector/J)"
                    : scheme.equals("jdbc:mysql") ? "mysql-connector-j.jar (MySQL Connector/J)" : "its driver";
            throw new DatabaseUnavailableException("no JDBC driver for " + scheme + " URLs: put " + jar + " in "
                    + libDirectory() + " (see the README: the MySQL and MariaDB drivers are not inside the jar)");
        }
    }

    /** The {@code lib} directory beside the running jar, where its manifest's Class-Path looks. */
    private static String libDirectory() {
        try {
            Path location = Path.of(Database.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            if (Files.isRegularFile(location)) {
                return location.resolveSibling("lib").toString();
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through: a generic answer
        }
        return "the lib directory beside outbox-cli.jar";
    }

    private static char @Nullable [] password(ConnectionOptions options, CliContext context) {
        if (options.passwordFile != null) {
            return readPasswordFile(options.passwordFile);
        }
        String fromEnvironment = context.environment().apply(ConnectionOptions.PASSWORD_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            return fromEnvironment.toCharArray();
        }
        if (options.noPassword || !context.terminal()) {
            return null;
        }
        String who = options.user == null || options.user.isBlank() ? "the database" : options.user;
        char[] typed = context.passwordPrompt().apply("Password for " + who + ": ");
        return typed == null || typed.length == 0 ? null : typed;
    }

    private static char[] readPasswordFile(Path file) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // The exception's own message names the file only, never its content.
            throw new IllegalArgumentException("cannot read --password-file " + file + ": " + e, e);
        }
        int end = content.indexOf('\n');
        String firstLine = end < 0 ? content : content.substring(0, end);
        if (firstLine.endsWith("\r")) {
            firstLine = firstLine.substring(0, firstLine.length() - 1);
        }
        if (firstLine.isEmpty()) {
            throw new IllegalArgumentException("--password-file " + file + " is empty: its first line is the password");
        }
        return firstLine.toCharArray();
    }

    private static String userText(ConnectionOptions options) {
        return options.user == null || options.user.isBlank() ? "" : " as " + options.user;
    }

    /** The innermost cause's message: the driver's reason ("Connection refused", "Access denied"). */
    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }
}
