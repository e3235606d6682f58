package dev.cohort.log.internal;

import dev.cohort.persistence.CohortSerializable;
import java.nio.ByteBuffer;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;

/**
 * One stored batch of records: a complete Kafka record batch of magic 2 (the v2 format of Kafka's
 * log and wire protocol), as the producer sent it, with its offsets assigned by the partition. The
 * journal stores these bytes, the partition holds them in memory, and Kafka fetches return them
 * unchanged; the HTTP and embedded APIs decode them ({@link KafkaBatches}). The accessors read the
 * batch header (61 bytes, big-endian) in place.
 *
 * <p>Invariants: the bytes are one well-formed v2 batch whose CRC is valid (assigning the base
 * offset, which the CRC does not cover, keeps it valid; setting the append time recomputes it);
 * {@code baseOffset <= lastOffset}; every record's offset lies in [baseOffset, lastOffset]; after
 * compaction records may be missing (gaps) but {@code lastOffset} is unchanged. Never mutated after
 * the partition assigned its offsets: shared by the log, fetch replies and the cleaner.
 *
 * @param bytes the record batch
 */
public record KafkaBatch(byte[] bytes) implements CohortSerializable {
  private static final int BASE_OFFSET = 0;
  private static final int ATTRIBUTES = 21;
  private static final int LAST_OFFSET_DELTA = 23;
  private static final int MAX_TIMESTAMP = 35;
  private static final int RECORDS_COUNT = 57;
  private static final int TIMESTAMP_TYPE_BIT = 0x08;

  /** The size of the batch header, which every batch has besides its records. */
  public static final int HEADER_BYTES = 61;

  public long baseOffset() {
    return ByteBuffer.wrap(bytes).getLong(BASE_OFFSET);
  }

  public long lastOffset() {
    return baseOffset() + ByteBuffer.wrap(bytes).getInt(LAST_OFFSET_DELTA);
  }

  /** The records the batch holds (fewer than its offset range after compaction). */
  public int recordCount() {
    return ByteBuffer.wrap(bytes).getInt(RECORDS_COUNT);
  }

  /** The largest record timestamp, or the append time on {@code LogAppendTime} batches. */
  public long maxTimestamp() {
    return ByteBuffer.wrap(bytes).getLong(MAX_TIMESTAMP);
  }

  /** The time the partition appended the batch on a {@code LogAppendTime} topic, else -1. */
  public long logAppendTime() {
    boolean appendTime = (ByteBuffer.wrap(bytes).getShort(ATTRIBUTES) & TIMESTAMP_TYPE_BIT) != 0;
    return appendTime ? maxTimestamp() : -1;
  }

  /** Bytes this batch counts for in {@code retention.bytes} and {@code sizeBytes}. */
  public long sizeBytes() {
    return bytes.length;
  }

  /** The time retention by time compares with {@code retention.ms}. */
  public long retentionTimestamp() {
    return maxTimestamp();
  }

  /** Kafka's view of the batch (records, CRC check); reads the shared bytes, never writes them. */
  MutableRecordBatch view() {
    return MemoryRecords.readableRecords(ByteBuffer.wrap(bytes)).batches().iterator().next();
  }
}
