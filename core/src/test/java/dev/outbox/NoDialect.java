package dev.outbox;

import dev.outbox.spi.OutboxDialect;
import dev.outbox.spi.SqlFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/** A dialect for tests that render SQL or validate options but never touch a database. */
public final class NoDialect implements OutboxDialect {
    private final SQLDialect sqlDialect;

    public NoDialect() {
        this(SQLDialect.POSTGRES);
    }

    public NoDialect(SQLDialect sqlDialect) {
        this.sqlDialect = sqlDialect;
    }

    @Override
    public String name() {
        return sqlDialect.getName();
    }

    @Override
    public SQLDialect sqlDialect() {
        return sqlDialect;
    }

    @Override
    public void checkServer(Connection connection) {}

    @Override
    public void beginRelayTransaction(Connection connection) {}

    @Override
    public void bindUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
        statement.setObject(index, value);
    }

    @Override
    public UUID readUuid(ResultSet resultSet, int index) throws SQLException {
        return resultSet.getObject(index, UUID.class);
    }

    @Override
    public Instant readInstant(ResultSet resultSet, int index) throws SQLException {
        return resultSet.getObject(index, Instant.class);
    }

    @Override
    public Field<?> currentTime() {
        return DSL.field("now()");
    }

    @Override
    public Field<?> currentTimePlusMillis(Field<Long> millis) {
        return DSL.field("(now() + {0})", Object.class, millis);
    }

    @Override
    public SqlFailure classify(SQLException exception) {
        return SqlFailure.OTHER;
    }
}
