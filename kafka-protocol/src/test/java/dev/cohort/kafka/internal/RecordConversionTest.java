package dev.cohort.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.TopicConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

/** Produced batches to stream-log records and fetched records to v2 batches, both ways. */
class RecordConversionTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void idempotentCompressedBatchDecodesWithProducerFieldsHeadersAndTombstones() {
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            RecordBatch.MAGIC_VALUE_V2,
            Compression.zstd().build(),
            TimestampType.CREATE_TIME,
            0L,
            RecordBatch.NO_TIMESTAMP,
            42L,
            (short) 3,
            7,
            false,
            RecordBatch.NO_PARTITION_LEADER_EPOCH);
    builder.append(
        1000L,
        ByteBuffer.wrap(utf8("k1")),
        ByteBuffer.wrap(utf8("v1")),
        new RecordHeader[] {new RecordHeader("h", utf8("x"))});
    builder.append(1001L, ByteBuffer.wrap(utf8("k2")), null);
    List<RecordConversion.DecodedBatch> batches = RecordConversion.decode(builder.build(), "t", 2);

    assertEquals(1, batches.size());
    RecordConversion.DecodedBatch batch = batches.getFirst();
    assertEquals(42L, batch.producerId());
    assertEquals(3, batch.producerEpoch());
    assertEquals(7, batch.baseSequence());
    ProducerRecord first = batch.records().get(0);
    assertEquals(2, first.partition());
    assertArrayEquals(utf8("v1"), first.value());
    assertArrayEquals(utf8("x"), first.headers().get("h"));
    assertEquals(1000L, first.timestamp());
    assertNull(batch.records().get(1).value(), "a tombstone stays a tombstone");
  }

  @Test
  void aFlippedByteIsACorruptMessage() {
    MemoryRecords good =
        MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(utf8("k"), utf8("v")));
    ByteBuffer bytes = ByteBuffer.allocate(good.sizeInBytes()).put(good.buffer().duplicate());
    bytes.put(bytes.limit() - 2, (byte) (bytes.get(bytes.limit() - 2) ^ 1));
    bytes.flip();
    RecordConversion.InvalidBatch e =
        assertThrows(
            RecordConversion.InvalidBatch.class,
            () -> RecordConversion.decode(MemoryRecords.readableRecords(bytes), "t", 0));
    assertEquals(Errors.CORRUPT_MESSAGE, e.error);
  }

  @Test
  void fetchedRecordsEncodeAsValidBatchesKeepingOffsetsGapsAndTimestampTypes() {
    List<ConsumerRecord> records = new ArrayList<>();
    records.add(record(10, 5000, TopicConfig.TimestampType.CREATE_TIME, "a"));
    records.add(record(13, 5001, TopicConfig.TimestampType.CREATE_TIME, "b"));
    records.add(record(14, 9000, TopicConfig.TimestampType.LOG_APPEND_TIME, "c"));
    MemoryRecords encoded = RecordConversion.encode(records);

    List<Long> offsets = new ArrayList<>();
    List<String> values = new ArrayList<>();
    List<TimestampType> types = new ArrayList<>();
    for (RecordBatch batch : encoded.batches()) {
      batch.ensureValid();
      for (Record r : batch) {
        offsets.add(r.offset());
        byte[] v = new byte[r.valueSize()];
        r.value().get(v);
        values.add(new String(v, StandardCharsets.UTF_8));
        types.add(batch.timestampType());
      }
    }
    assertEquals(List.of(10L, 13L, 14L), offsets, "compaction gaps are kept");
    assertEquals(List.of("a", "b", "c"), values);
    assertEquals(
        List.of(
            TimestampType.CREATE_TIME, TimestampType.CREATE_TIME, TimestampType.LOG_APPEND_TIME),
        types);
    assertEquals(0, RecordConversion.encode(List.of()).sizeInBytes());
  }

  private static ConsumerRecord record(
      long offset, long timestamp, TopicConfig.TimestampType type, String value) {
    return new ConsumerRecord("t", 0, offset, timestamp, type, utf8("k"), utf8(value), Map.of());
  }
}
