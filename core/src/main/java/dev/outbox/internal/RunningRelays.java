package dev.outbox.internal;

import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxTables;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The relays started in this JVM, so that a second relay with the same relayId on the same data
 * source and tables is refused at start instead of running as a silent twin. Relays on other data
 * sources may share an id (two databases with the same table names); a twin in another process is
 * found by its leases ({@link OwnIdWatch}).
 */
final class RunningRelays {

    /** A data source compared by identity (pools do not override equals), tables and relay id. */
    private record Key(DataSource dataSource, String tables, String relayId) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Key key
                    && key.dataSource == dataSource
                    && key.tables.equals(tables)
                    && key.relayId.equals(relayId);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(dataSource) * 31 + tables.hashCode() * 17 + relayId.hashCode();
        }
    }

    private static final Set<Key> RUNNING = ConcurrentHashMap.newKeySet();

    private RunningRelays() {}

    /** Records a starting relay; throws if one with the same id already runs here on the same tables. */
    static AutoCloseable register(DataSource dataSource, OutboxTables tables, String relayId) {
        Key key = new Key(dataSource, tables.qualified(tables.prefix() + "*"), relayId);
        if (!RUNNING.add(key)) {
            throw new OutboxConfigurationException("relay '" + relayId + "': another relay with this relayId is already"
                    + " running in this JVM on the same DataSource and tables " + key.tables() + "; give each relay"
                    + " its own relayId (the default, host/pid/random, is unique) or close the other one first");
        }
        return () -> RUNNING.remove(key);
    }
}
