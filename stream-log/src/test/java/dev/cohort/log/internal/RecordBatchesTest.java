package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.TopicConfig.CompressionType;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RecordBatchesTest {

  private static StoredBatch store(RecordBatches.Encoded e, long baseOffset) {
    return new StoredBatch(
        baseOffset,
        baseOffset + e.recordCount() - 1,
        e.recordCount(),
        e.baseTimestamp(),
        e.maxTimestamp(),
        -1,
        e.codec(),
        e.uncompressedBytes(),
        e.payload());
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE", "SNAPPY", "LZ4", "ZSTD"})
  void everyCodecReadsBackByteIdentical(CompressionType codec) {
    Random random = new Random(7);
    RecordBatches.Builder builder = new RecordBatches.Builder();
    byte[][] values = new byte[50][];
    for (int i = 0; i < values.length; i++) {
      values[i] = new byte[random.nextInt(300)];
      random.nextBytes(values[i]);
      if (i % 10 == 3) {
        values[i] = null;
      }
      byte[] key = i % 7 == 0 ? null : ("key-" + i).getBytes(StandardCharsets.UTF_8);
      Map<String, byte[]> headers = i % 2 == 0 ? Map.of("h", new byte[] {(byte) i}) : Map.of();
      builder.add(key, values[i], headers, 1_000_000L + i * 3L - (i % 4));
    }
    StoredBatch batch = store(builder.build(codec), 100);
    assertEquals(codec, batch.codec());
    List<ConsumerRecord> records = RecordBatches.decode("t", 0, batch, 0, Integer.MAX_VALUE);
    assertEquals(values.length, records.size());
    for (int i = 0; i < values.length; i++) {
      ConsumerRecord r = records.get(i);
      assertEquals(100 + i, r.offset());
      assertEquals(1_000_000L + i * 3L - (i % 4), r.timestamp());
      if (values[i] == null) {
        assertNull(r.value());
      } else {
        assertArrayEquals(values[i], r.value());
      }
      if (i % 7 == 0) {
        assertNull(r.key());
      } else {
        assertEquals("key-" + i, r.keyString());
      }
      assertEquals(i % 2 == 0 ? 1 : 0, r.headers().size());
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"SNAPPY", "LZ4", "ZSTD"})
  void compressibleBatchesShrink(CompressionType codec) {
    RecordBatches.Builder builder = new RecordBatches.Builder();
    byte[] value = new byte[1000];
    Arrays.fill(value, (byte) 'x');
    for (int i = 0; i < 20; i++) {
      builder.add(null, value, Map.of(), 1);
    }
    RecordBatches.Encoded encoded = builder.build(codec);
    assertTrue(encoded.payload().length < encoded.uncompressedBytes() / 4);
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE", "ZSTD"})
  void decodeStartsAtTheRequestedOffsetAndStopsAtMax(CompressionType codec) {
    RecordBatches.Builder builder = new RecordBatches.Builder();
    for (int i = 0; i < 10; i++) {
      builder.add(null, new byte[] {(byte) i}, Map.of(), i);
    }
    StoredBatch batch = store(builder.build(codec), 20);
    List<ConsumerRecord> records = RecordBatches.decode("t", 0, batch, 24, 3);
    assertEquals(List.of(24L, 25L, 26L), records.stream().map(ConsumerRecord::offset).toList());
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE", "SNAPPY"})
  void truncatedPayloadIsReportedAsCorrupt(CompressionType codec) {
    RecordBatches.Builder builder = new RecordBatches.Builder();
    builder.add(null, new byte[100], Map.of(), 1);
    StoredBatch batch = store(builder.build(codec), 0);
    StoredBatch broken =
        new StoredBatch(
            0,
            0,
            1,
            1,
            1,
            -1,
            codec,
            batch.uncompressedBytes(),
            Arrays.copyOf(batch.payload(), batch.payload().length / 2));
    assertThrows(RecordBatches.CorruptBatchException.class, () -> RecordBatches.entries(broken));
  }
}
