package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.TopicConfig.CompressionType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The format before v2 batches: what its writer (the code then, {@link LegacyBatchWriter}) wrote in
 * every codec reads back through {@link RecordBatches} and {@link KafkaBatches#fromLegacy}
 * unchanged; a broken payload is reported as corrupt.
 */
class RecordBatchesTest {

  private static StoredBatch store(LegacyBatchWriter.Encoded e, long baseOffset) {
    return LegacyBatchWriter.stored(e, baseOffset, -1);
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE", "SNAPPY", "LZ4", "ZSTD"})
  void everyCodecReadsBackAndConvertsUnchanged(CompressionType codec) {
    List<TestBatches.TestRecord> input = TestBatches.mixedRecords();
    LegacyBatchWriter.Builder builder = new LegacyBatchWriter.Builder();
    input.forEach(r -> builder.add(r.key(), r.value(), r.headers(), r.timestamp()));
    StoredBatch batch = store(builder.build(codec), 100);
    assertEquals(codec, batch.codec());
    List<RecordBatches.Entry> entries = RecordBatches.entries(batch);
    KafkaBatch converted = KafkaBatches.fromLegacy(batch);
    converted.view().ensureValid();
    assertEquals(KafkaBatches.compression(codec).type(), converted.view().compressionType());
    List<ConsumerRecord> records = KafkaBatches.decode("t", 0, converted, 0, Integer.MAX_VALUE);
    assertEquals(input.size(), entries.size());
    assertEquals(input.size(), records.size());
    for (int i = 0; i < input.size(); i++) {
      RecordBatches.Entry e = entries.get(i);
      ConsumerRecord r = records.get(i);
      assertArrayEquals(input.get(i).value(), e.value());
      assertArrayEquals(input.get(i).key(), e.key());
      assertEquals(input.get(i).timestamp(), e.timestamp());
      assertEquals(100 + i, e.offset());
      assertEquals(e.offset(), r.offset());
      assertEquals(e.timestamp(), r.timestamp());
      assertArrayEquals(e.key(), r.key());
      assertArrayEquals(e.value(), r.value());
      assertEquals(e.headers().keySet(), r.headers().keySet());
      e.headers().forEach((name, value) -> assertArrayEquals(value, r.headers().get(name)));
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE", "ZSTD"})
  void decodeStartsAtTheRequestedOffsetAndStopsAtMax(CompressionType codec) {
    LegacyBatchWriter.Builder builder = new LegacyBatchWriter.Builder();
    for (int i = 0; i < 10; i++) {
      builder.add(null, new byte[] {(byte) i}, Map.of(), i);
    }
    StoredBatch batch = store(builder.build(codec), 20);
    List<ConsumerRecord> records =
        KafkaBatches.decode("t", 0, KafkaBatches.fromLegacy(batch), 24, 3);
    assertEquals(List.of(24L, 25L, 26L), records.stream().map(ConsumerRecord::offset).toList());
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE", "SNAPPY"})
  void truncatedPayloadIsReportedAsCorrupt(CompressionType codec) {
    LegacyBatchWriter.Builder builder = new LegacyBatchWriter.Builder();
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
