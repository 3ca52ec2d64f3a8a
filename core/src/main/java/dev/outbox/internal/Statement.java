package dev.outbox.internal;

import dev.outbox.spi.OutboxDialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jooq.Param;
import org.jooq.Query;
import org.jspecify.annotations.Nullable;

/**
 * A statement rendered once by jOOQ, with its parameters in bind order, bound by the typed {@link
 * Param} objects the query was written with. Rendering once and binding by hand keeps jOOQ's
 * rendering cost off the hot paths while the SQL is still written, and vendor-rendered, by jOOQ; the
 * typed parameters keep the binding next to the query honest: a value of the wrong type does not
 * compile, and a parameter the statement does not have fails at once.
 *
 * <p>Immutable and thread-safe; a {@link Bound} is used by one thread and closed.
 */
final class Statement {

    // jOOQ renders named parameters as :name; the statements rendered here contain no string
    // literal or PostgreSQL "::" cast that this could match by mistake (rendered casts are CAST()).
    private static final Pattern NAMED_PARAMETER = Pattern.compile("(?<!:):([a-zA-Z_][a-zA-Z0-9_]*)");

    private static final Pattern UNNAMED_PARAMETER = Pattern.compile("(?<!:):[0-9]+");

    private final String sql;
    private final List<String> parameters;
    private final OutboxDialect dialect;

    private Statement(String sql, List<String> parameters, OutboxDialect dialect) {
        this.sql = sql;
        this.parameters = List.copyOf(parameters);
        this.dialect = dialect;
    }

    /** Renders {@code query}, whose parameters must all be named ({@code DSL.param(name, type)}). */
    static Statement render(DSLContext dsl, OutboxDialect dialect, Query query) {
        String named = dsl.renderNamedParams(query);
        Map<String, Param<?>> declared = dsl.extractParams(query);
        List<String> order = new ArrayList<>();
        Matcher matcher = NAMED_PARAMETER.matcher(named);
        StringBuilder sql = new StringBuilder();
        while (matcher.find()) {
            if (!declared.containsKey(matcher.group(1))) {
                throw new IllegalStateException("unknown parameter :" + matcher.group(1) + " in " + named);
            }
            order.add(matcher.group(1));
            matcher.appendReplacement(sql, "?");
        }
        matcher.appendTail(sql);
        if (UNNAMED_PARAMETER.matcher(sql).find()) {
            throw new IllegalStateException(
                    "every parameter must be named (DSL.param(name, type)) or inlined: " + named);
        }
        return new Statement(sql.toString(), order, dialect);
    }

    /** The SQL, with {@code ?} placeholders. */
    String sql() {
        return sql;
    }

    /** The parameters' names, in bind order (a parameter used twice appears twice). */
    List<String> parameters() {
        return parameters;
    }

    /** Prepares the statement on {@code connection}; close the result. */
    Bound bind(Connection connection) throws SQLException {
        return new Bound(connection.prepareStatement(sql));
    }

    @Override
    public String toString() {
        return sql;
    }

    /** A prepared statement whose parameters are set by their {@link Param}. Closing it closes the statement. */
    final class Bound implements AutoCloseable {
        private final PreparedStatement statement;

        private Bound(PreparedStatement statement) {
            this.statement = statement;
        }

        Bound setLong(Param<Long> parameter, @Nullable Long value) throws SQLException {
            for (int index : indexes(parameter)) {
                if (value == null) {
                    statement.setNull(index, Types.BIGINT);
                } else {
                    statement.setLong(index, value);
                }
            }
            return this;
        }

        Bound setInt(Param<Integer> parameter, int value) throws SQLException {
            for (int index : indexes(parameter)) {
                statement.setInt(index, value);
            }
            return this;
        }

        Bound setString(Param<String> parameter, @Nullable String value) throws SQLException {
            for (int index : indexes(parameter)) {
                statement.setString(index, value);
            }
            return this;
        }

        /** Sets a time the way the dialect binds times. */
        Bound setInstant(Param<OffsetDateTime> parameter, Instant value) throws SQLException {
            for (int index : indexes(parameter)) {
                dialect.bindInstant(statement, index, value);
            }
            return this;
        }

        /** Sets an event id the way the dialect binds them. */
        Bound setUuid(Param<Object> parameter, UUID value) throws SQLException {
            for (int index : indexes(parameter)) {
                dialect.bindUuid(statement, index, value);
            }
            return this;
        }

        private List<Integer> indexes(Param<?> parameter) {
            List<Integer> indexes = new ArrayList<>(1);
            for (int i = 0; i < parameters.size(); i++) {
                if (parameters.get(i).equals(parameter.getParamName())) {
                    indexes.add(i + 1);
                }
            }
            if (indexes.isEmpty()) {
                throw new IllegalArgumentException(
                        "no parameter '" + parameter.getParamName() + "' in " + parameters + ": " + sql);
            }
            return indexes;
        }

        int executeUpdate() throws SQLException {
            return statement.executeUpdate();
        }

        ResultSet executeQuery() throws SQLException {
            return statement.executeQuery();
        }

        /** The JDBC statement, for batches and fetch sizes. */
        PreparedStatement statement() {
            return statement;
        }

        @Override
        public void close() throws SQLException {
            statement.close();
        }
    }
}
