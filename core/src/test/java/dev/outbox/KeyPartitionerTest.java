package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/** Kafka's keyed partitioner (kafka-clients, test scope only) is the oracle. */
class KeyPartitionerTest {

    private static final int[] PARTITION_COUNTS = {1, 2, 3, 7, 8, 16, 100, 256, 1000, Integer.MAX_VALUE};

    @Test
    void shouldPutEveryKeyInThePartitionKafkasKeyedPartitionerChooses() {
        SplittableRandom random = new SplittableRandom(20261202);
        try (StringSerializer serializer = new StringSerializer()) {
            for (int n = 0; n < 200_000; n++) {
                String key = randomKey(random);
                byte[] bytes = serializer.serialize("topic", key);
                assertThat(KeyPartitioner.murmur2(key.getBytes(StandardCharsets.UTF_8)))
                        .as("murmur2 of %s", key)
                        .isEqualTo(Utils.murmur2(bytes));
                assertThat(KeyPartitioner.keyHash(key)).isEqualTo(Utils.toPositive(Utils.murmur2(bytes)));
                int partitions = PARTITION_COUNTS[random.nextInt(PARTITION_COUNTS.length)];
                assertThat(KeyPartitioner.partitionOf(key, partitions))
                        .as("partition of %s among %d", key, partitions)
                        .isEqualTo(BuiltInPartitioner.partitionForKey(bytes, partitions));
            }
        }
    }

    @Test
    void shouldMatchKnownHashesOfShortKeys() {
        // every tail length (0..3 bytes after the blocks of four), multi-byte characters included
        for (String key : new String[] {"", "a", "ab", "abc", "abcd", "abcde", "course-42", "é", "日本", "😀"}) {
            assertThat(KeyPartitioner.murmur2(key.getBytes(StandardCharsets.UTF_8)))
                    .as(key)
                    .isEqualTo(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void shouldRefuseFewerThanOnePartition() {
        assertThatThrownBy(() -> KeyPartitioner.partitionOf("k", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("partitions must be at least 1, got 0");
    }

    /** Keys of 0 to 40 characters: ASCII, Latin, CJK, and surrogate pairs (and now and then a lone one). */
    private static String randomKey(SplittableRandom random) {
        int length = random.nextInt(41);
        StringBuilder key = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            switch (random.nextInt(6)) {
                case 0, 1, 2 -> key.append((char) random.nextInt(0x20, 0x7f));
                case 3 -> key.append((char) random.nextInt(0xa0, 0x800));
                case 4 -> key.append((char) random.nextInt(0x4e00, 0x9fff));
                default -> {
                    if (random.nextInt(10) == 0) {
                        key.append((char) random.nextInt(0xd800, 0xe000)); // lone surrogate
                    } else {
                        key.appendCodePoint(random.nextInt(0x10000, 0x110000));
                    }
                }
            }
        }
        return key.toString();
    }
}
