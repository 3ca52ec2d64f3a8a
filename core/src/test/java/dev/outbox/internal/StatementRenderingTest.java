package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.NoDataSource;
import dev.outbox.NoDialect;
import dev.outbox.OutboxTables;
import dev.outbox.RelayOptions;
import dev.outbox.spi.OutboxDialect;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rendering of every stage's statements per dialect, without a database. */
class StatementRenderingTest {

    /** Every statement of every stage, for one dialect. */
    private static List<Statement> everyStatement(OutboxDialect dialect) {
        OutboxTables tables = OutboxTables.of("s", "p_");
        OutboxSql sql = new OutboxSql(dialect, tables);
        RelayContext context = new RelayContext(new NoDataSource(), dialect, tables, RelayOptions.defaults());
        SequencerSql sequencer = new SequencerSql(sql);
        List<Statement> statements = new ArrayList<>(sequencer.statements());
        statements.add(sequencer.move(SequencerSql.runs(new long[] {1, 2, 3, 7, 9, 10})));
        statements.add(sequencer.delete(SequencerSql.runs(new long[] {4})));
        statements.addAll(new ConsumerSql(sql).statements());
        statements.addAll(new DeadLetterSql(sql).statements());
        statements.addAll(new StatusReader(context).statements());
        statements.addAll(new RelayAdmin(context).statements());
        statements.addAll(new Retention(context).statements());
        statements.addAll(new PartitionBalancer(
                        context,
                        new RelayProblems(context.options.clock()),
                        new StartupCheck(context),
                        Map.of(),
                        List.of(),
                        () -> true)
                .statements());
        return statements;
    }

    @ParameterizedTest
    @EnumSource(
            value = SQLDialect.class,
            names = {"POSTGRES", "MYSQL", "MARIADB"})
    void shouldRenderEveryStatementWithOnePlaceholderPerBoundParameter(SQLDialect dialect) {
        for (Statement statement : everyStatement(fakeDialect(dialect))) {
            assertThat(statement.sql()).doesNotContain(":").contains(quote(dialect, "s"));
            assertThat(statement.sql().chars().filter(c -> c == '?').count())
                    .as(statement.sql())
                    .isEqualTo(statement.parameters().size());
        }
        WriterEngine writer = new WriterEngine(fakeDialect(dialect), OutboxTables.of("s", "p_"), 100, false);
        assertThat(writer.insertSql(3).chars().filter(c -> c == '?').count()).isEqualTo(21);
    }

    @Test
    void shouldRenderTheSequencerLockAndTheBatchReadAsSeparateStatements() {
        List<Statement> sequencer =
                new SequencerSql(new OutboxSql(fakeDialect(SQLDialect.POSTGRES), OutboxTables.defaults())).statements();

        assertThat(sequencer.get(1).sql())
                .isEqualTo("select \"next_seq\", \"holder\", \"epoch\" from \"outbox_sequencer\" where \"name\" ="
                        + " 'default' for update");
        assertThat(sequencer.get(2).sql())
                .isEqualTo("select \"position\" from \"outbox_event\" order by \"position\" fetch next ? rows only");
        assertThat(sequencer.get(8).sql()).contains("\"holder\" = null");
    }

    @Test
    void shouldNameExactlyTheBatchPositionsAsRangesAndSingles() {
        SequencerSql sql = new SequencerSql(new OutboxSql(fakeDialect(SQLDialect.MARIADB), OutboxTables.defaults()));

        assertThat(sql.delete(SequencerSql.runs(new long[] {3, 4, 5, 8, 10, 11}))
                        .sql())
                .isEqualTo("delete from `outbox_event` where (`position` between 3 and 5 or `position` between 10"
                        + " and 11 or `position` in (8))");
        assertThat(sql.delete(SequencerSql.runs(new long[] {42})).sql())
                .isEqualTo("delete from `outbox_event` where `position` in (42)");
        assertThat(SequencerSql.runs(new long[] {3, 4, 5, 8, 10, 11}))
                .containsExactly(new long[] {3, 5}, new long[] {8, 8}, new long[] {10, 11});
    }

    @Test
    void shouldRankTheMovedRowsByPositionUnlessTheBatchHasManyRuns() {
        SequencerSql sql = new SequencerSql(new OutboxSql(fakeDialect(SQLDialect.MARIADB), OutboxTables.defaults()));

        assertThat(sql.move(SequencerSql.runs(new long[] {7, 8, 9})).sql())
                .contains("select (? + (`position` - 7)), `position`")
                .doesNotContain("row_number");
        assertThat(sql.move(SequencerSql.runs(new long[] {3, 4, 5, 8, 10, 11})).sql())
                .contains("select (? + case when `position` between 3 and 5 then (`position` - 3)"
                        + " when `position` = 8 then (`position` - 5)"
                        + " when `position` between 10 and 11 then (`position` - 6) end), `position`")
                .doesNotContain("row_number");
        long[] manyRuns = new long[SequencerSql.MAX_RUNS_RANKED_BY_POSITION + 1];
        for (int i = 0; i < manyRuns.length; i++) {
            manyRuns[i] = 2L * i;
        }
        assertThat(sql.move(SequencerSql.runs(manyRuns)).sql()).contains("row_number() over (order by `position`)");
    }

    @Test
    void shouldStopTheDeleteOfARunAtItsLastRowOnInnoDb() {
        Statement deleteRun = new SequencerSql(new OutboxSql(fakeDialect(SQLDialect.MARIADB), OutboxTables.defaults()))
                .statements()
                .get(3);

        assertThat(deleteRun.sql())
                .isEqualTo("delete from `outbox_event` where `position` between ? and ? order by `position` limit ?");
        assertThat(deleteRun.parameters()).containsExactly("first", "last", "count");
    }

    @Test
    void shouldNameTheConsumerOfADeadLetterByOneParameterEverywhere() {
        for (Statement statement : new DeadLetterSql(
                        new OutboxSql(fakeDialect(SQLDialect.POSTGRES), OutboxTables.defaults()))
                .statements()) {
            assertThat(statement.parameters()).contains("consumer").doesNotContain("name");
        }
    }

    @Test
    void shouldRefuseAParameterTheStatementDoesNotHave() throws Exception {
        Statement lock = new SequencerSql(new OutboxSql(fakeDialect(SQLDialect.POSTGRES), OutboxTables.defaults()))
                .statements()
                .get(2);
        try (Statement.Bound bound = lock.bind(preparingConnection())) {
            assertThatThrownBy(() -> bound.setLong(DSL.param("epoch", Long.class), 1L))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no parameter 'epoch' in [batch]");
        }
    }

    /** A connection that prepares statements which accept any parameter and run nothing. */
    private static Connection preparingConnection() {
        PreparedStatement statement = (PreparedStatement) Proxy.newProxyInstance(
                StatementRenderingTest.class.getClassLoader(),
                new Class<?>[] {PreparedStatement.class},
                (proxy, method, args) -> null);
        return (Connection) Proxy.newProxyInstance(
                StatementRenderingTest.class.getClassLoader(),
                new Class<?>[] {Connection.class},
                (proxy, method, args) -> method.getName().equals("prepareStatement") ? statement : null);
    }

    private static String quote(SQLDialect dialect, String name) {
        return DSL.using(dialect).render(DSL.name(name));
    }

    static OutboxDialect fakeDialect(SQLDialect sqlDialect) {
        return new NoDialect(sqlDialect);
    }
}
