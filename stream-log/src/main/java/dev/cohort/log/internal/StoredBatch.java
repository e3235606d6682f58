package dev.cohort.log.internal;

import dev.cohort.log.TopicConfig.CompressionType;
import dev.cohort.persistence.CohortSerializable;

/**
 * One batch of records as the journal stores it and as fetches return it: written once by the
 * producer (compressed there), given its offsets by the partition entity, never re-encoded on the
 * produce or fetch path. See {@link RecordBatches} for the payload format.
 *
 * <p>Invariants: {@code baseOffset <= lastOffset}; every record's offset lies in [baseOffset,
 * lastOffset] and rises within the payload; after compaction records may be missing (gaps) but
 * {@code lastOffset} is unchanged. {@code logAppendTime} is -1 for {@code CreateTime} topics,
 * otherwise the time the partition appended the batch, which overrides each record's timestamp.
 *
 * @param baseOffset the offset of the batch's first record slot
 * @param lastOffset the offset of the batch's last record slot
 * @param recordCount records present in the payload
 * @param baseTimestamp the timestamp record timestamps are stored relative to
 * @param maxTimestamp the largest record timestamp (retention by time uses it)
 * @param logAppendTime see above
 * @param codec how {@code payload} is compressed
 * @param uncompressedBytes the payload's size before compression
 * @param payload the records
 */
public record StoredBatch(
    long baseOffset,
    long lastOffset,
    int recordCount,
    long baseTimestamp,
    long maxTimestamp,
    long logAppendTime,
    CompressionType codec,
    int uncompressedBytes,
    byte[] payload)
    implements CohortSerializable {

  /** Bytes this batch counts for in {@code retention.bytes} and {@code sizeBytes}. */
  public long sizeBytes() {
    return payload.length + RecordBatches.BATCH_OVERHEAD_BYTES;
  }

  /** The time retention by time compares with {@code retention.ms}. */
  public long retentionTimestamp() {
    return logAppendTime >= 0 ? logAppendTime : maxTimestamp;
  }
}
