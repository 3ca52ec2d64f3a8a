package dev.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.NoDialect;
import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxDialect;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rendering of the engine's statements per dialect, without a database. */
class OutboxSqlTest {

    @ParameterizedTest
    @EnumSource(
            value = SQLDialect.class,
            names = {"POSTGRES", "MYSQL", "MARIADB"})
    void shouldRenderEveryStatementWithNamedParametersOnly(SQLDialect dialect) {
        OutboxSql sql = new OutboxSql(fakeDialect(dialect), OutboxTables.of("s", "p_"));

        for (NamedSql statement : java.util.List.of(
                sql.probeQueue,
                sql.lockSequencer,
                sql.selectQueuedPositions,
                sql.advanceSequencer,
                sql.lockSequencerForTakeover,
                sql.takeOverSequencer,
                sql.renewSequencer,
                sql.releaseSequencer,
                sql.readSchemaVersion,
                sql.deleteRunFromQueue,
                sql.insertConsumerAtBeginning,
                sql.insertConsumerAtHead,
                sql.lockConsumerForTakeover,
                sql.takeOverConsumer,
                sql.lockConsumer,
                sql.readLog,
                sql.saveCheckpoint,
                sql.renewConsumer,
                sql.releaseConsumer,
                sql.resetConsumer,
                sql.lowestRetainedSeq,
                sql.insertEvents(3),
                sql.moveToLog(new long[] {1, 2, 3, 7, 9, 10}),
                sql.deleteFromQueue(new long[] {4}))) {
            assertThat(statement.sql()).doesNotContain(":").contains(quote(dialect, "s"));
            assertThat(statement.sql().chars().filter(c -> c == '?').count())
                    .as(statement.sql())
                    .isEqualTo(statement.parameterNames().size());
        }
    }

    @Test
    void shouldRenderTheSequencerLockAndTheBatchReadAsSeparateStatements() {
        OutboxSql sql = new OutboxSql(fakeDialect(SQLDialect.POSTGRES), OutboxTables.defaults());

        assertThat(sql.lockSequencer.sql())
                .isEqualTo("select \"next_seq\", \"holder\", \"epoch\" from \"outbox_sequencer\" where \"name\" = ?"
                        + " for update");
        assertThat(sql.selectQueuedPositions.sql())
                .isEqualTo("select \"position\" from \"outbox_event\" order by \"position\" fetch next ? rows only");
        assertThat(sql.releaseSequencer.sql()).contains("\"holder\" = null");
    }

    @Test
    void shouldNameExactlyTheBatchPositionsAsRangesAndSingles() {
        OutboxSql sql = new OutboxSql(fakeDialect(SQLDialect.MARIADB), OutboxTables.defaults());

        assertThat(sql.deleteFromQueue(new long[] {3, 4, 5, 8, 10, 11}).sql())
                .isEqualTo("delete from `outbox_event` where (`position` between 3 and 5 or `position` between 10"
                        + " and 11 or `position` in (8))");
        assertThat(sql.deleteFromQueue(new long[] {42}).sql())
                .isEqualTo("delete from `outbox_event` where `position` in (42)");
    }

    @Test
    void shouldStopTheDeleteOfARunAtItsLastRowOnInnoDb() {
        OutboxSql sql = new OutboxSql(fakeDialect(SQLDialect.MARIADB), OutboxTables.defaults());

        assertThat(sql.deleteRunFromQueue.sql())
                .isEqualTo("delete from `outbox_event` where `position` between ? and ? order by `position` limit ?");
        assertThat(sql.deleteRunFromQueue.parameterNames()).containsExactly("first", "last", "count");
    }

    private static String quote(SQLDialect dialect, String name) {
        return DSL.using(dialect).render(DSL.name(name));
    }

    static OutboxDialect fakeDialect(SQLDialect sqlDialect) {
        return new NoDialect(sqlDialect);
    }
}
