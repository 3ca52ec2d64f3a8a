package dev.outbox.internal;

import dev.outbox.spi.OutboxDialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jooq.Query;
import org.jooq.conf.ParamType;
import org.jspecify.annotations.Nullable;

/**
 * A statement rendered once by jOOQ with named parameters, turned into JDBC {@code ?} placeholders
 * and the parameter names in bind order. Rendering once and binding by hand keeps jOOQ's rendering
 * cost off the hot paths while the SQL is still written, and vendor-rendered, by jOOQ.
 */
public record NamedSql(String sql, List<String> parameterNames) {

    // jOOQ renders named parameters as :name; the statements rendered here contain no string
    // literal or PostgreSQL "::" cast that this could match by mistake (rendered casts are CAST()).
    private static final Pattern NAMED_PARAMETER = Pattern.compile("(?<!:):([a-zA-Z_][a-zA-Z0-9_]*)");

    private static final Pattern UNNAMED_PARAMETER = Pattern.compile("(?<!:):[0-9]+");

    public static NamedSql render(DSLContext dsl, Query query) {
        String named = dsl.renderNamedParams(query);
        List<String> names = new ArrayList<>();
        Matcher matcher = NAMED_PARAMETER.matcher(named);
        StringBuilder sql = new StringBuilder();
        while (matcher.find()) {
            names.add(matcher.group(1));
            matcher.appendReplacement(sql, "?");
        }
        matcher.appendTail(sql);
        if (UNNAMED_PARAMETER.matcher(sql).find()) {
            throw new IllegalStateException(
                    "every parameter must be named (DSL.param(name, type)) or inlined: " + named);
        }
        return new NamedSql(sql.toString(), List.copyOf(names));
    }

    /** Renders a query whose values are all inlined (no parameters). */
    public static NamedSql inlined(DSLContext dsl, Query query) {
        return new NamedSql(dsl.renderContext().paramType(ParamType.INLINED).render(query), List.of());
    }

    public Bound prepare(Connection connection) throws SQLException {
        return new Bound(connection.prepareStatement(sql), parameterNames);
    }

    /** A prepared statement whose parameters are set by name. Closing it closes the statement. */
    public static final class Bound implements AutoCloseable {
        private final PreparedStatement statement;
        private final List<String> names;

        Bound(PreparedStatement statement, List<String> names) {
            this.statement = statement;
            this.names = names;
        }

        public Bound set(String name, Object value) throws SQLException {
            for (int index : indexes(name)) {
                statement.setObject(index, value);
            }
            return this;
        }

        /** Sets a parameter that may be null, as a string. */
        public Bound setString(String name, @Nullable String value) throws SQLException {
            for (int index : indexes(name)) {
                statement.setString(index, value);
            }
            return this;
        }

        /** Sets a parameter that may be null, as a long. */
        public Bound setLong(String name, @Nullable Long value) throws SQLException {
            for (int index : indexes(name)) {
                if (value == null) {
                    statement.setNull(index, java.sql.Types.BIGINT);
                } else {
                    statement.setLong(index, value);
                }
            }
            return this;
        }

        /** Sets a time parameter the way the dialect binds times. */
        public Bound setInstant(String name, Instant value, OutboxDialect dialect) throws SQLException {
            for (int index : indexes(name)) {
                dialect.bindInstant(statement, index, value);
            }
            return this;
        }

        private List<Integer> indexes(String name) {
            List<Integer> indexes = new ArrayList<>(1);
            for (int i = 0; i < names.size(); i++) {
                if (names.get(i).equals(name)) {
                    indexes.add(i + 1);
                }
            }
            if (indexes.isEmpty()) {
                throw new IllegalArgumentException("no parameter '" + name + "' in " + names);
            }
            return indexes;
        }

        public PreparedStatement statement() {
            return statement;
        }

        @Override
        public void close() throws SQLException {
            statement.close();
        }
    }
}
