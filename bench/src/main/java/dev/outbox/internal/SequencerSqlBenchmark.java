package dev.outbox.internal;

import dev.outbox.OutboxTables;
import dev.outbox.mysql.MariaDbDialect;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.spi.OutboxDialect;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU the sequencer spends per batch outside the database: rendering the move and the delete
 * that name the batch's positions (jOOQ, once per batch). In the engine's package because those
 * statements are package-private. Run: {@code bench/run-jmh.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SequencerSqlBenchmark {

    @Param({"postgres", "mariadb"})
    public String database;

    /** Positions per batch; "contiguous" batches are one BETWEEN, "gappy" ones every other position. */
    @Param({"1000", "5000"})
    public int batch;

    @Param({"contiguous", "gappy"})
    public String shape;

    private OutboxSql sql;
    private long[] positions;

    @Setup
    public void setUp() {
        OutboxDialect dialect = database.equals("postgres") ? PostgresDialect.create() : MariaDbDialect.create();
        sql = new OutboxSql(dialect, OutboxTables.of("bench", "outbox_"));
        positions = new long[batch];
        for (int i = 0; i < batch; i++) {
            positions[i] = 1_000_000L + (shape.equals("contiguous") ? i : 2L * i);
        }
    }

    @Benchmark
    public Object renderMoveAndDelete() {
        return new Object[] {sql.moveToLog(positions), sql.deleteFromQueue(positions)};
    }
}
