package dev.cohort.log.internal;

import dev.cohort.log.TopicConfig.CompressionType;
import dev.cohort.persistence.CohortSerializable;

/**
 * One batch of records in Cohort's own format, as partitions journaled and snapshotted them before
 * they stored Kafka's record batches ({@link KafkaBatch}): read only, from old journals and
 * snapshots, and converted on recovery ({@link KafkaBatches#fromLegacy}). Its Kryo id and fields
 * are fixed. See {@link RecordBatches} for the payload format.
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
    implements CohortSerializable {}
