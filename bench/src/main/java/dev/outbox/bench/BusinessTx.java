package dev.outbox.bench;

import dev.outbox.OutboxEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** The small business transaction every writer figure is built on: update a row, insert a row. */
final class BusinessTx {

    private final BenchDb db;
    private final String update;
    private final String insert;
    private final String handInsert;

    BusinessTx(BenchDb db) {
        this.db = db;
        this.update = "UPDATE " + db.q("account") + " SET balance = balance + ? WHERE id = ?";
        this.insert = "INSERT INTO " + db.q("entry") + " (account_id, amount) VALUES (?, ?)";
        this.handInsert = "INSERT INTO " + db.event()
                + " (event_id, aggregate_type, aggregate_id, event_type, payload, headers) VALUES (?, ?, ?, ?, ?, ?)";
    }

    /** The business statements, on a connection with auto-commit off; returns the account id. */
    int businessWrites(Connection connection) throws SQLException {
        int account = ThreadLocalRandom.current().nextInt(1, BenchDb.ACCOUNTS + 1);
        try (PreparedStatement s = connection.prepareStatement(update)) {
            s.setLong(1, 5);
            s.setInt(2, account);
            s.executeUpdate();
        }
        try (PreparedStatement s = connection.prepareStatement(insert)) {
            s.setInt(1, account);
            s.setLong(2, 5);
            s.executeUpdate();
        }
        return account;
    }

    /** What an application would write by hand: the same row the writer inserts, plain JDBC. */
    void handWrittenInsert(Connection connection, OutboxEvent event) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(handInsert)) {
            if (db.isPostgres()) {
                s.setObject(1, event.eventId());
            } else {
                s.setString(1, event.eventId().toString());
            }
            s.setString(2, event.aggregateType());
            s.setString(3, event.aggregateId());
            s.setString(4, event.eventType());
            s.setString(5, event.payload());
            s.setString(6, BenchDb.HEADERS);
            s.executeUpdate();
        }
    }

    /** An event of about 200 bytes of JSON, key {@code key}. */
    static OutboxEvent event(String key) {
        String payload = "{\"orderId\":\"" + key + "\",\"customerId\":\"c-42\",\"amount\":1999,\"currency\":\"EUR\","
                + "\"note\":\"" + "x".repeat(120) + "\"}";
        return OutboxEvent.of("order", key, "OrderPlaced", payload).withHeader("content-type", "application/json");
    }

    static List<OutboxEvent> events(String key, int count) {
        List<OutboxEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(event(key));
        }
        return events;
    }
}
