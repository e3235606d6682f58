package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicConfig.CompressionType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The v2 batch format: batches built from records in every codec decode back unchanged; storing a
 * batch rewrites only its base offset (or, on LogAppendTime topics, stamps it with a valid CRC);
 * produced batches are checked as they come; compaction's rewrite keeps offsets, codec and a valid
 * CRC.
 */
class KafkaBatchesTest {

  private static KafkaBatches.Encoded build(CompressionType codec, int n, long timestamp) {
    KafkaBatches.Builder builder = new KafkaBatches.Builder();
    for (int i = 0; i < n; i++) {
      builder.add(
          ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[] {(byte) i}, Map.of(), timestamp);
    }
    return builder.build(codec);
  }

  private static byte[] kafkaBatch(byte magic, long producerId, boolean transactional) {
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            magic,
            Compression.lz4().build(),
            TimestampType.CREATE_TIME,
            0L,
            RecordBatch.NO_TIMESTAMP,
            producerId,
            (short) (producerId >= 0 ? 3 : -1),
            producerId >= 0 ? 17 : -1,
            transactional,
            RecordBatch.NO_PARTITION_LEADER_EPOCH);
    builder.append(1000L, "key".getBytes(), "value".getBytes());
    builder.append(1001L, null, "keyless".getBytes());
    ByteBuffer buffer = builder.build().buffer();
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE", "SNAPPY", "LZ4", "ZSTD"})
  void everyCodecReadsBackAndStoringRewritesOnlyTheBaseOffset(CompressionType codec) {
    List<TestBatches.TestRecord> input = TestBatches.mixedRecords();
    KafkaBatches.Builder builder = new KafkaBatches.Builder();
    input.forEach(r -> builder.add(r.key(), r.value(), r.headers(), r.timestamp()));
    KafkaBatches.Encoded encoded = builder.build(codec);
    assertTrue(encoded.anyNullKey());
    byte[] sent = encoded.bytes().clone();
    KafkaBatch batch = KafkaBatches.stored(encoded, 100, -1);
    batch.view().ensureValid();
    assertArrayEquals(sent, encoded.bytes(), "the producer's bytes are never changed");
    assertEquals(100, batch.baseOffset());
    assertEquals(100 + input.size() - 1, batch.lastOffset());
    assertEquals(-1, batch.logAppendTime());
    int n = sent.length;
    assertTrue(Arrays.equals(sent, 8, n, batch.bytes(), 8, n), "only the base offset differs");
    assertEquals(KafkaBatches.compression(codec).type(), batch.view().compressionType());
    List<ConsumerRecord> records = KafkaBatches.decode("t", 0, batch, 0, Integer.MAX_VALUE);
    assertEquals(input.size(), records.size());
    for (int i = 0; i < input.size(); i++) {
      TestBatches.TestRecord in = input.get(i);
      ConsumerRecord r = records.get(i);
      assertEquals(100 + i, r.offset());
      assertEquals(in.timestamp(), r.timestamp());
      assertArrayEquals(in.key(), r.key());
      assertArrayEquals(in.value(), r.value());
      assertEquals(in.headers().keySet(), r.headers().keySet());
      in.headers().forEach((name, value) -> assertArrayEquals(value, r.headers().get(name)));
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"SNAPPY", "LZ4", "ZSTD"})
  void compressibleBatchesShrink(CompressionType codec) {
    KafkaBatches.Builder builder = new KafkaBatches.Builder();
    byte[] value = new byte[1000];
    Arrays.fill(value, (byte) 'x');
    for (int i = 0; i < 20; i++) {
      builder.add(null, value, Map.of(), 1);
    }
    assertTrue(builder.build(codec).sizeBytes() < builder.sizeBytes() / 4);
  }

  @Test
  void logAppendTimeStampsTheBatchWithAValidCrc() {
    KafkaBatch batch = KafkaBatches.stored(build(CompressionType.ZSTD, 3, 5), 7, 777);
    batch.view().ensureValid();
    assertEquals(777, batch.logAppendTime());
    assertEquals(TimestampType.LOG_APPEND_TIME, batch.view().timestampType());
    for (ConsumerRecord r : KafkaBatches.decode("t", 0, batch, 0, 10)) {
      assertEquals(777, r.timestamp());
      assertEquals(TopicConfig.TimestampType.LOG_APPEND_TIME, r.timestampType());
    }
  }

  @Test
  void decodeStartsAtTheRequestedOffsetAndStopsAtMax() {
    KafkaBatch batch = KafkaBatches.stored(build(CompressionType.NONE, 10, 1), 20, -1);
    List<ConsumerRecord> records = KafkaBatches.decode("t", 0, batch, 24, 3);
    assertEquals(List.of(24L, 25L, 26L), records.stream().map(ConsumerRecord::offset).toList());
  }

  @Test
  void producedBatchesAreCheckedAsTheyCome() {
    byte[] good = kafkaBatch(RecordBatch.MAGIC_VALUE_V2, 42, false);
    KafkaBatches.Encoded plain = KafkaBatches.produced(good, false);
    assertEquals(2, plain.recordCount());
    assertFalse(plain.anyNullKey(), "keys are read only for compacted topics");
    assertTrue(KafkaBatches.produced(good, true).anyNullKey());
    var header = KafkaBatches.header(plain);
    assertEquals(42, header.producerId());
    assertEquals(3, header.producerEpoch());
    assertEquals(17, header.baseSequence());

    byte[] corrupt = good.clone();
    corrupt[corrupt.length - 2] ^= 1;
    assertInvalidRecord(corrupt);
    assertInvalidRecord(kafkaBatch(RecordBatch.MAGIC_VALUE_V1, -1, false));
    assertInvalidRecord(kafkaBatch(RecordBatch.MAGIC_VALUE_V2, 42, true));
    assertInvalidRecord(Arrays.copyOf(good, good.length - 1));
    assertInvalidRecord(new byte[10]);
  }

  @Test
  void aTopicThatNamesACodecGetsBatchesInItAndOthersStayUntouched() {
    KafkaBatches.Encoded lz4 =
        KafkaBatches.produced(kafkaBatch(RecordBatch.MAGIC_VALUE_V2, 42, false), false);
    assertSame(lz4, KafkaBatches.inTopicCodec(lz4, CompressionType.PRODUCER));
    assertSame(lz4, KafkaBatches.inTopicCodec(lz4, CompressionType.LZ4));
    KafkaBatches.Encoded zstd = KafkaBatches.inTopicCodec(lz4, CompressionType.ZSTD);
    var header = KafkaBatches.header(zstd);
    header.ensureValid();
    assertEquals(
        org.apache.kafka.common.record.internal.CompressionType.ZSTD, header.compressionType());
    assertEquals(
        List.of(42L, 3L, 17L),
        List.of(header.producerId(), (long) header.producerEpoch(), (long) header.baseSequence()));
    KafkaBatch stored = KafkaBatches.stored(zstd, 0, -1);
    List<ConsumerRecord> records = KafkaBatches.decode("t", 0, stored, 0, 10);
    assertEquals(
        List.of("key", "keyless"),
        List.of(records.get(0).keyString(), records.get(1).valueString()));
    assertEquals(List.of(1000L, 1001L), records.stream().map(ConsumerRecord::timestamp).toList());
  }

  private static void assertInvalidRecord(byte[] bytes) {
    LogException e = assertThrows(LogException.class, () -> KafkaBatches.produced(bytes, false));
    assertTrue(e.is(LogError.INVALID_RECORD), e.toString());
  }

  @Test
  void aRewrittenBatchKeepsItsOffsetsCodecAndAValidCrc() {
    KafkaBatch batch = KafkaBatches.stored(build(CompressionType.ZSTD, 3, 9), 10, -1);
    var kept = KafkaBatches.records(batch).subList(1, 2);
    KafkaBatch rewritten = KafkaBatches.rewrite(batch, List.copyOf(kept));
    rewritten.view().ensureValid();
    assertEquals(10, rewritten.baseOffset());
    assertEquals(12, rewritten.lastOffset());
    assertEquals(1, rewritten.recordCount());
    assertEquals(
        org.apache.kafka.common.record.internal.CompressionType.ZSTD,
        rewritten.view().compressionType());
    List<ConsumerRecord> records = KafkaBatches.decode("t", 0, rewritten, 0, 10);
    assertEquals(11, records.getFirst().offset());
    assertEquals("k1", records.getFirst().keyString());
  }
}
