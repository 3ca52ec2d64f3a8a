package dev.outbox;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The partition an event's key belongs to: {@code toPositive(murmur2(utf8(aggregateId))) % partitions},
 * the function of Kafka's default keyed partitioner. An outbox split into {@code P} partitions by
 * this function therefore sends partition {@code k} to partition {@code k} of a Kafka topic with
 * {@code P} partitions, and a key stays in one stream from the outbox to Kafka's consumers.
 *
 * <p>The hash is MurmurHash2 (32 bits, seed {@code 0x9747b28c}) over the UTF-8 bytes of the key,
 * the bytes Kafka's {@code StringSerializer} produces; a test compares it with kafka-clients on
 * generated keys. It never changes: a consumer's events are split by it once and for all.
 */
public final class KeyPartitioner {

    private static final int SEED = 0x9747b28c;
    private static final int MULTIPLIER = 0x5bd1e995;
    private static final int SHIFT = 24;

    private KeyPartitioner() {}

    /**
     * The partition of {@code aggregateId} among {@code partitions}, from 0 to {@code partitions - 1}.
     *
     * @throws IllegalArgumentException if {@code partitions} is less than 1
     */
    public static int partitionOf(String aggregateId, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        return keyHash(aggregateId) % partitions;
    }

    /**
     * The key's hash with its sign bit cleared ({@code toPositive(murmur2(utf8(aggregateId)))}), from
     * 0 to {@link Integer#MAX_VALUE}: the partition among {@code P} is this modulo {@code P}. The
     * writer stores it with each event ({@code key_hash}), so that a partition's read leaves the
     * other partitions' entries on the server ({@code MOD(key_hash, P) = k}), whatever {@code P}.
     */
    public static int keyHash(String aggregateId) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        return murmur2(aggregateId.getBytes(StandardCharsets.UTF_8)) & 0x7fffffff;
    }

    /** MurmurHash2, 32 bits, with Kafka's seed; blocks of four bytes read little-endian. */
    static int murmur2(byte[] data) {
        int length = data.length;
        int hash = SEED ^ length;
        int blocks = length & ~3;
        for (int i = 0; i < blocks; i += 4) {
            int block = (data[i] & 0xff)
                    | (data[i + 1] & 0xff) << 8
                    | (data[i + 2] & 0xff) << 16
                    | (data[i + 3] & 0xff) << 24;
            block *= MULTIPLIER;
            block ^= block >>> SHIFT;
            block *= MULTIPLIER;
            hash *= MULTIPLIER;
            hash ^= block;
        }
        int tail = length - blocks;
        if (tail == 3) {
            hash ^= (data[blocks + 2] & 0xff) << 16;
        }
        if (tail >= 2) {
            hash ^= (data[blocks + 1] & 0xff) << 8;
        }
        if (tail >= 1) {
            hash ^= data[blocks] & 0xff;
            hash *= MULTIPLIER;
        }
        hash ^= hash >>> 13;
        hash *= MULTIPLIER;
        hash ^= hash >>> 15;
        return hash;
    }
}
