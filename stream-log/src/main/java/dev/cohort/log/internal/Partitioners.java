package dev.cohort.log.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Kafka's partitioning: a keyed record goes to {@code toPositive(murmur2(key)) % numPartitions}
 * (bit-exact with Kafka's {@code BuiltInPartitioner.partitionForKey}, so a key lands on the same
 * partition number as with Kafka's clients); a record without a key goes to the topic's current
 * sticky partition, which changes after a batch is sent ({@link #onNewBatch}). Thread-safe.
 */
public final class Partitioners {
  private static final int SEED = 0x9747b28c;
  private static final int M = 0x5bd1e995;
  private static final int R = 24;

  private final Map<String, Integer> sticky = new ConcurrentHashMap<>();

  /** MurmurHash2, 32-bit, seed 0x9747b28c, as Kafka computes it (little-endian 4-byte blocks). */
  @SuppressWarnings("fallthrough") // the tail mixes 3, 2 then 1 remaining bytes, by design
  public static int murmur2(byte[] data) {
    int length = data.length;
    int h = SEED ^ length;
    int blocks = length / 4;
    for (int i = 0; i < blocks; i++) {
      int at = i * 4;
      int k =
          (data[at] & 0xff)
              | ((data[at + 1] & 0xff) << 8)
              | ((data[at + 2] & 0xff) << 16)
              | ((data[at + 3] & 0xff) << 24);
      k *= M;
      k ^= k >>> R;
      k *= M;
      h *= M;
      h ^= k;
    }
    int tail = length & ~3;
    switch (length % 4) {
      case 3:
        h ^= (data[tail + 2] & 0xff) << 16;
      // fall through
      case 2:
        h ^= (data[tail + 1] & 0xff) << 8;
      // fall through
      case 1:
        h ^= data[tail] & 0xff;
        h *= M;
        break;
      default:
        break;
    }
    h ^= h >>> 13;
    h *= M;
    h ^= h >>> 15;
    return h;
  }

  /** Kafka's {@code Utils.toPositive}: clears the sign bit (not {@code Math.abs}). */
  public static int toPositive(int n) {
    return n & 0x7fffffff;
  }

  /** The partition of a keyed record. */
  public static int partitionForKey(byte[] key, int numPartitions) {
    return toPositive(murmur2(key)) % numPartitions;
  }

  /** The partition for a record without a key: the topic's sticky partition. */
  public int stickyPartition(String topic, int numPartitions) {
    Integer current = sticky.get(topic);
    if (current != null && current < numPartitions) {
      return current;
    }
    int chosen = ThreadLocalRandom.current().nextInt(numPartitions);
    sticky.put(topic, chosen);
    return chosen;
  }

  /** A batch for the sticky partition was closed: keyless records move to another partition. */
  public void onNewBatch(String topic, int closedPartition, int numPartitions) {
    if (numPartitions <= 1) {
      return;
    }
    Integer current = sticky.get(topic);
    if (current != null && current == closedPartition) {
      int next = ThreadLocalRandom.current().nextInt(numPartitions - 1);
      sticky.put(topic, next >= closedPartition ? next + 1 : next);
    }
  }
}
