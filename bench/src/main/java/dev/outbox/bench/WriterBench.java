package dev.outbox.bench;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * 1. Writer overhead: the business transaction (a) alone, (b) plus one event appended with {@link
 * OutboxWriter}, (c) plus the same row inserted by hand-written JDBC, (d) plus 10 events, at 1, 4
 * and 16 clients. Variants are interleaved within each run (and their order reversed every other
 * run) so that every ratio compares figures of the same run.
 */
final class WriterBench {

    enum Variant {
        A_ALONE("(a) business tx alone"),
        B_WRITER("(b) + 1 event, OutboxWriter"),
        C_HAND("(c) + 1 row, hand-written JDBC"),
        D_TEN("(d) + 10 events, OutboxWriter");

        final String label;

        Variant(String label) {
            this.label = label;
        }
    }

    private final BenchDb db;
    private final Mode mode;
    private final Report report;
    private final BusinessTx business;
    private final OutboxWriter writer;

    WriterBench(BenchDb db, Mode mode, Report report) {
        this.db = db;
        this.mode = mode;
        this.report = report;
        this.business = new BusinessTx(db);
        this.writer = OutboxWriter.builder(db.dialect).tables(db.tables).build();
    }

    void run() throws Exception {
        System.out.println("[writer] " + db.label);
        db.reset();
        // Warm-up: JIT, statement caches, buffer pool.
        for (Variant variant : Variant.values()) {
            measure(variant, 4, Math.max(1_000, mode.writerMillis() / 2));
        }
        for (int threads : List.of(1, 4, 16)) {
            String clients = threads + " client" + (threads == 1 ? "" : "s");
            Map<Variant, Stats.Samples> samples = new EnumMap<>(Variant.class);
            Stats.Samples bOverC = new Stats.Samples();
            Stats.Samples bOverA = new Stats.Samples();
            Stats.Samples dOverA = new Stats.Samples();
            for (Variant variant : Variant.values()) {
                samples.put(variant, new Stats.Samples());
            }
            for (int rep = 0; rep < mode.reps(); rep++) {
                Map<Variant, Double> run = new EnumMap<>(Variant.class);
                List<Variant> order = List.of(Variant.values());
                if (rep % 2 == 1) {
                    order = new ArrayList<>(order);
                    Collections.reverse(order);
                }
                for (Variant variant : order) {
                    db.reset();
                    double tps = measure(variant, threads, mode.writerMillis());
                    run.put(variant, tps);
                    samples.get(variant).add(tps);
                }
                bOverC.add(run.get(Variant.B_WRITER) / run.get(Variant.C_HAND));
                bOverA.add(run.get(Variant.B_WRITER) / run.get(Variant.A_ALONE));
                dOverA.add(run.get(Variant.D_TEN) / run.get(Variant.A_ALONE));
            }
            for (Variant variant : Variant.values()) {
                report.add(
                        Report.Sections.WRITER,
                        db.label,
                        variant.label + ", " + clients,
                        samples.get(variant).stats(),
                        "tx/s");
            }
            report.target(
                    Report.Sections.WRITER,
                    db.label,
                    "(b)/(c) writer vs hand-written insert, " + clients,
                    bOverC.stats(),
                    "x",
                    0.95,
                    false,
                    "");
            report.add(Report.Sections.WRITER, db.label, "(b)/(a) cost of one event, " + clients, bOverA.stats(), "x");
            report.add(Report.Sections.WRITER, db.label, "(d)/(a) cost of ten events, " + clients, dOverA.stats(), "x");
        }
        db.reset();
    }

    private double measure(Variant variant, int threads, long millis) throws Exception {
        return Load.closedLoop(db.pool, threads, millis, connection -> {
            int account = business.businessWrites(connection);
            String key = "acct-" + account;
            switch (variant) {
                case A_ALONE -> {}
                case B_WRITER -> writer.append(connection, BusinessTx.event(key));
                case C_HAND -> business.handWrittenInsert(connection, BusinessTx.event(key));
                case D_TEN ->
                    writer.append(connection, BusinessTx.events(key, 10).toArray(OutboxEvent[]::new));
            }
        });
    }
}
