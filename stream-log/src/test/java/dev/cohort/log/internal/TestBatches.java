package dev.cohort.log.internal;

import dev.cohort.log.TopicConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Batches for the unit tests of the partition's collaborators, built with the real codec. */
final class TestBatches {
  private TestBatches() {}

  /** An encoded batch of {@code keys} (null: a keyless record) with values "v" and timestamp ts. */
  static KafkaBatches.Encoded encoded(long timestamp, String... keys) {
    KafkaBatches.Builder builder = new KafkaBatches.Builder();
    for (String key : keys) {
      builder.add(bytes(key), bytes("v"), Map.of(), timestamp);
    }
    return builder.build(TopicConfig.CompressionType.NONE);
  }

  /** The records {@code key -> value} (value null: a tombstone) stored from {@code baseOffset}. */
  static KafkaBatch stored(long baseOffset, long timestamp, String... keyValues) {
    KafkaBatches.Builder builder = new KafkaBatches.Builder();
    for (int i = 0; i < keyValues.length; i += 2) {
      builder.add(bytes(keyValues[i]), bytes(keyValues[i + 1]), Map.of(), timestamp);
    }
    return stored(builder.build(TopicConfig.CompressionType.NONE), baseOffset);
  }

  /** {@code e} as a CreateTime partition stores it from {@code baseOffset}. */
  static KafkaBatch stored(KafkaBatches.Encoded e, long baseOffset) {
    return KafkaBatches.stored(e, baseOffset, -1);
  }

  /** The same records in the format before v2 ({@link StoredBatch}), as partitions stored them. */
  static StoredBatch legacy(
      TopicConfig.CompressionType codec, long baseOffset, long timestamp, String... keyValues) {
    LegacyBatchWriter.Builder builder = new LegacyBatchWriter.Builder();
    for (int i = 0; i < keyValues.length; i += 2) {
      builder.add(bytes(keyValues[i]), bytes(keyValues[i + 1]), Map.of(), timestamp);
    }
    return LegacyBatchWriter.stored(builder.build(codec), baseOffset, -1);
  }

  /** One record of {@link #mixedRecords}. */
  record TestRecord(byte[] key, byte[] value, Map<String, byte[]> headers, long timestamp) {}

  /**
   * 50 records with random values of up to 300 bytes (seed 7): every 7th without a key, every 10th
   * from the 4th a tombstone, the even ones with a header, timestamps not in order.
   */
  static List<TestRecord> mixedRecords() {
    Random random = new Random(7);
    List<TestRecord> out = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      byte[] value = new byte[random.nextInt(300)];
      random.nextBytes(value);
      out.add(
          new TestRecord(
              i % 7 == 0 ? null : bytes("key-" + i),
              i % 10 == 3 ? null : value,
              i % 2 == 0 ? Map.of("h", new byte[] {(byte) i}) : Map.of(),
              1_000_000L + i * 3L - (i % 4)));
    }
    return out;
  }

  static byte[] bytes(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }
}
