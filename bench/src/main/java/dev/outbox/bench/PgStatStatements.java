package dev.outbox.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The statements a private PostgreSQL server counted in {@code pg_stat_statements} for the bench
 * database: what the idle benches report as the server's view, the measuring connections left out
 * (their statements mention pg_stat, and their driver's {@code SET application_name} goes with them).
 */
final class PgStatStatements {

    private PgStatStatements() {}

    static void reset(String statsUrl, String user) throws SQLException {
        try (Connection c = DriverManager.getConnection(statsUrl, user, null);
                Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_statements_reset()");
        }
    }

    /** The most called statements since the last reset, as "calls × `statement`" (its first 90 characters). */
    static List<String> top(String statsUrl, String user) throws SQLException {
        List<String> top = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(statsUrl, user, null);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 90)"
                        + " FROM pg_stat_statements st JOIN pg_database d ON d.oid = st.dbid"
                        + " WHERE d.datname = current_database() AND st.query NOT ILIKE '%pg_stat%' AND st.query NOT ILIKE 'SET application_name%'"
                        + " ORDER BY calls DESC LIMIT 10")) {
            while (rs.next()) {
                top.add(rs.getLong(1) + " × `" + rs.getString(2).replace("|", "\\|") + "`");
            }
        }
        return top;
    }
}
