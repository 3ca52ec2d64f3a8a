package dev.outbox.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.migrations.OutboxMigrations;
import dev.outbox.mysql.MariaDbDialect;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.spi.OutboxDialect;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One database the benchmarks run on: a fresh schema (PostgreSQL) or database (MariaDB) named
 * {@value #SCHEMA}, created with the real migration, plus two business tables. Owns its pool.
 */
final class BenchDb implements AutoCloseable {

    static final String SCHEMA = "outbox_bench";

    /** Rows of the business table the writer benchmark updates (random row: little contention). */
    static final int ACCOUNTS = 10_000;

    enum Kind {
        POSTGRES,
        MARIADB
    }

    final String label;
    final Kind kind;
    final String adminUrl;
    final String user;
    final OutboxDialect dialect;
    /** The outbox tables of the bench schema. */
    static final OutboxTables TABLES = OutboxTables.of(SCHEMA, "outbox_");

    final OutboxTables tables = TABLES;
    final HikariDataSource pool;
    private final String schemaUrl;

    private BenchDb(String label, Kind kind, String adminUrl, String schemaUrl, String user) {
        this.label = label;
        this.kind = kind;
        this.adminUrl = adminUrl;
        this.schemaUrl = schemaUrl;
        this.user = user;
        this.dialect = dialect(kind);
        recreateSchema();
        this.pool = newPool("bench-" + kind.name().toLowerCase(Locale.ROOT), 24);
        OutboxMigrations.migrate(pool, tables);
        createBusinessTables();
    }

    /** PostgreSQL at {@code url} (a database URL), schema {@value #SCHEMA} dropped and re-created. */
    static BenchDb postgres(String label, String url, String user) {
        return new BenchDb(label, Kind.POSTGRES, url, url, user);
    }

    /** MariaDB at {@code host:port}, database {@value #SCHEMA} dropped and re-created. */
    static BenchDb mariaDb(String label, String hostPort, String user) {
        String parameters = "?sslMode=disable";
        return new BenchDb(
                label,
                Kind.MARIADB,
                "jdbc:mariadb://" + hostPort + "/test" + parameters,
                "jdbc:mariadb://" + hostPort + "/" + SCHEMA + parameters,
                user);
    }

    boolean isPostgres() {
        return kind == Kind.POSTGRES;
    }

    HikariDataSource newPool(String name, int size) {
        return newPool(name, size, null);
    }

    /** A pool whose connections are in {@code isolation} (a HikariCP name), or the server default. */
    HikariDataSource newPool(String name, int size, @Nullable String isolation) {
        return pool(kind, schemaUrl, user, name, size, isolation);
    }

    /** What a relay process needs to open a pool on this database: kind, URL, user (no password). */
    List<String> connectionArguments() {
        return List.of(kind.name(), schemaUrl, user);
    }

    /**
     * A pool on the bench schema at {@code schemaUrl} (users of the bench servers have no
     * password), in {@code isolation} or the server default.
     */
    static HikariDataSource pool(
            Kind kind, String schemaUrl, String user, String name, int size, @Nullable String isolation) {
        HikariConfig config = new HikariConfig();
        if (isolation != null) {
            config.setTransactionIsolation(isolation);
        }
        config.setJdbcUrl(schemaUrl);
        config.setUsername(user);
        config.setPoolName(name);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(Math.min(size, 4));
        config.setConnectionTimeout(30_000);
        if (kind == Kind.POSTGRES) {
            config.setSchema(SCHEMA);
        }
        return new HikariDataSource(config);
    }

    static OutboxDialect dialect(Kind kind) {
        return kind == Kind.POSTGRES ? PostgresDialect.create() : MariaDbDialect.create();
    }

    Connection admin() throws SQLException {
        return DriverManager.getConnection(adminUrl, user, null);
    }

    /** A table name of the bench schema, quoted for this database. */
    String q(String table) {
        return isPostgres() ? "\"" + SCHEMA + "\".\"" + table + "\"" : "`" + SCHEMA + "`.`" + table + "`";
    }

    String event() {
        return q(tables.eventTable());
    }

    String log() {
        return q(tables.logTable());
    }

    String sequencer() {
        return q(tables.sequencerTable());
    }

    String consumer() {
        return q(tables.consumerTable());
    }

    private void recreateSchema() {
        if (isPostgres()) {
            adminExecute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE", "CREATE SCHEMA " + SCHEMA);
        } else {
            adminExecute(
                    "DROP DATABASE IF EXISTS " + SCHEMA,
                    "CREATE DATABASE " + SCHEMA + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        }
    }

    private void createBusinessTables() {
        if (isPostgres()) {
            execute(
                    "CREATE TABLE " + q("account") + " (id int PRIMARY KEY, balance bigint NOT NULL)",
                    "CREATE TABLE " + q("entry") + " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                            + " account_id int NOT NULL, amount bigint NOT NULL,"
                            + " created_at timestamptz NOT NULL DEFAULT now())",
                    "INSERT INTO " + q("account") + " SELECT g, 0 FROM generate_series(1, " + ACCOUNTS + ") g",
                    "ANALYZE " + q("account"));
        } else {
            execute(
                    "CREATE TABLE " + q("account") + " (id int PRIMARY KEY, balance bigint NOT NULL) ENGINE=InnoDB",
                    "CREATE TABLE " + q("entry") + " (id bigint AUTO_INCREMENT PRIMARY KEY,"
                            + " account_id int NOT NULL, amount bigint NOT NULL,"
                            + " created_at datetime(6) NOT NULL DEFAULT UTC_TIMESTAMP(6)) ENGINE=InnoDB",
                    "INSERT INTO " + q("account") + " SELECT seq, 0 FROM seq_1_to_" + ACCOUNTS);
        }
    }

    /** Empties the queue, the log, the business entries and the consumers; rewinds the sequencer. */
    void reset() {
        List<String> statements = new ArrayList<>();
        if (isPostgres()) {
            statements.add("TRUNCATE " + event() + ", " + log() + ", " + q("entry") + ", " + consumer() + ", "
                    + q(tables.deadLetterTable()) + ", " + q(tables.relayTable()));
        } else {
            for (String table : List.of(
                    event(), log(), q("entry"), consumer(), q(tables.deadLetterTable()), q(tables.relayTable()))) {
                statements.add("TRUNCATE TABLE " + table);
            }
        }
        statements.add("UPDATE " + sequencer() + " SET next_seq = 1, holder = NULL, lease_until = NULL");
        execute(statements.toArray(String[]::new));
    }

    /** A JSON payload of about 200 bytes for event number {@code n}, as SQL text. */
    String payloadSql(String n) {
        String concat = isPostgres() ? "||" : null;
        String pad = "x".repeat(120);
        if (concat != null) {
            return "'{\"orderId\":' || " + n + " || ',\"customerId\":\"c-' || (" + n
                    + " % 9973) || '\",\"amount\":1999,\"currency\":\"EUR\",\"note\":\"" + pad + "\"}'";
        }
        return "CONCAT('{\"orderId\":', " + n + ", ',\"customerId\":\"c-', (" + n
                + " % 9973), '\",\"amount\":1999,\"currency\":\"EUR\",\"note\":\"" + pad + "\"}')";
    }

    static final String HEADERS = "{\"content-type\":\"application/json\"}";

    /**
     * Appends {@code count} events server-side, {@code perTransaction} per transaction (each its own
     * statement in auto-commit), aggregate ids {@code k-<n>} from {@code first}.
     */
    void fillQueue(long first, long count, int perTransaction) {
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (long from = first; from < first + count; from += perTransaction) {
                long to = Math.min(first + count, from + perTransaction) - 1;
                if (isPostgres()) {
                    s.execute("INSERT INTO " + event()
                            + " (aggregate_type, aggregate_id, event_type, payload, headers)"
                            + " SELECT 'order', 'k-' || g, 'OrderPlaced', " + payloadSql("g") + ", '" + HEADERS + "'"
                            + " FROM generate_series(" + from + ", " + to + ") g");
                } else {
                    s.execute("INSERT INTO " + event()
                            + " (aggregate_type, aggregate_id, event_type, payload, headers)"
                            + " SELECT 'order', CONCAT('k-', seq), 'OrderPlaced', " + payloadSql("seq") + ", '"
                            + HEADERS + "' FROM seq_" + from + "_to_" + to);
                }
            }
            if (isPostgres()) {
                // A backlog that waited while consumers were down has been vacuumed by autovacuum
                // (the migration's per-table thresholds): the visibility map is set, stats are fresh.
                s.execute("VACUUM ANALYZE " + event());
            } else {
                s.execute("ANALYZE TABLE " + event());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("filling the queue failed: " + e.getMessage(), e);
        }
    }

    /** The first column of every row {@code sql} returns. */
    List<Long> queryLongs(String sql) {
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            List<Long> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getLong(1));
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    long queryLong(String sql) {
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    void execute(String... statements) {
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(String.join("; ", statements) + ": " + e.getMessage(), e);
        }
    }

    private void adminExecute(String... statements) {
        try (Connection c = admin();
                Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "cannot prepare " + label + " (" + adminUrl + "): " + e.getMessage()
                            + ". The bench needs PostgreSQL at 127.0.0.1:5432 (database test, user postgres, trust)"
                            + " and MariaDB at 127.0.0.1:3306 (user root, no password); see BENCHMARKS.md",
                    e);
        }
    }

    /** Server version and the settings that decide these figures. */
    Map<String, String> serverSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        List<String> names = isPostgres()
                ? List.of(
                        "server_version",
                        "shared_buffers",
                        "synchronous_commit",
                        "fsync",
                        "wal_level",
                        "max_wal_size",
                        "checkpoint_timeout",
                        "max_connections",
                        "work_mem")
                : List.of(
                        "version",
                        "innodb_buffer_pool_size",
                        "innodb_flush_log_at_trx_commit",
                        "innodb_log_file_size",
                        "innodb_doublewrite",
                        "log_bin",
                        "sync_binlog",
                        "max_connections",
                        "tx_isolation");
        try (Connection c = admin();
                Statement s = c.createStatement()) {
            for (String name : names) {
                String sql = isPostgres() ? "SHOW " + name : "SELECT @@" + name;
                try (ResultSet rs = s.executeQuery(sql)) {
                    rs.next();
                    settings.put(name, rs.getString(1));
                } catch (SQLException e) {
                    settings.put(name, "?");
                }
            }
        } catch (SQLException e) {
            settings.put("error", e.getMessage());
        }
        return settings;
    }

    @Override
    public void close() {
        pool.close();
        try {
            if (isPostgres()) {
                adminExecute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            } else {
                adminExecute("DROP DATABASE IF EXISTS " + SCHEMA);
            }
        } catch (RuntimeException e) {
            System.err.println("could not drop the bench schema of " + label + ": " + e.getMessage());
        }
    }
}
