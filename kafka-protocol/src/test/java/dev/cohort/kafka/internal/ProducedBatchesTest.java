package dev.cohort.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

/** Produced batches are checked as Kafka's broker checks them and kept byte for byte. */
class ProducedBatchesTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static MemoryRecords batch(byte magic, long producerId, boolean transactional) {
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            magic,
            // zstd needs magic 2
            magic == RecordBatch.MAGIC_VALUE_V2 ? Compression.zstd().build() : Compression.NONE,
            TimestampType.CREATE_TIME,
            0L,
            RecordBatch.NO_TIMESTAMP,
            producerId,
            (short) (producerId >= 0 ? 3 : -1),
            producerId >= 0 ? 7 : -1,
            transactional,
            RecordBatch.NO_PARTITION_LEADER_EPOCH);
    builder.append(
        1000L,
        ByteBuffer.wrap(utf8("k1")),
        ByteBuffer.wrap(utf8("v1")),
        magic == RecordBatch.MAGIC_VALUE_V2
            ? new RecordHeader[] {new RecordHeader("h", utf8("x"))}
            : new RecordHeader[0]);
    builder.append(1001L, ByteBuffer.wrap(utf8("k2")), null);
    return builder.build();
  }

  private static byte[] bytes(MemoryRecords records) {
    ByteBuffer buffer = records.buffer();
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }

  @Test
  void validBatchesAreKeptByteForByteWithTheirIdempotenceFlag() {
    MemoryRecords idempotent = batch(RecordBatch.MAGIC_VALUE_V2, 42, false);
    MemoryRecords plain =
        MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(utf8("k"), utf8("v")));
    ByteBuffer both = ByteBuffer.allocate(idempotent.sizeInBytes() + plain.sizeInBytes());
    both.put(idempotent.buffer()).put(plain.buffer()).flip();
    List<ProducedBatches.Batch> batches =
        ProducedBatches.check(MemoryRecords.readableRecords(both));
    assertEquals(2, batches.size());
    assertArrayEquals(bytes(idempotent), batches.get(0).bytes());
    assertTrue(batches.get(0).idempotent());
    assertArrayEquals(bytes(plain), batches.get(1).bytes());
    assertFalse(batches.get(1).idempotent());
  }

  @Test
  void aFlippedByteIsACorruptMessage() {
    MemoryRecords good =
        MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(utf8("k"), utf8("v")));
    ByteBuffer bytes = ByteBuffer.allocate(good.sizeInBytes()).put(good.buffer().duplicate());
    bytes.put(bytes.limit() - 2, (byte) (bytes.get(bytes.limit() - 2) ^ 1));
    bytes.flip();
    assertRefused(Errors.CORRUPT_MESSAGE, MemoryRecords.readableRecords(bytes));
  }

  @Test
  void oldMagicsAndTransactionalBatchesAreRefused() {
    assertRefused(
        Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT, batch(RecordBatch.MAGIC_VALUE_V1, -1, false));
    assertRefused(Errors.INVALID_RECORD, batch(RecordBatch.MAGIC_VALUE_V2, 42, true));
  }

  private static void assertRefused(Errors error, MemoryRecords records) {
    ProducedBatches.InvalidBatch e =
        assertThrows(ProducedBatches.InvalidBatch.class, () -> ProducedBatches.check(records));
    assertEquals(error, e.error);
  }
}
