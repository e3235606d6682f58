package dev.cohort.log;

import java.util.List;

/**
 * Records read from one partition, in offset order (offsets may have gaps on compacted topics),
 * with the partition's offsets at the time of the read. {@code highWatermark} is the log end offset
 * (every acknowledged record is readable: Cohort's journal is its replication). {@code nextOffset}
 * is where the next fetch continues (past compacted-away gaps too).
 */
public record FetchResult(
    List<ConsumerRecord> records, long highWatermark, long logStartOffset, long nextOffset) {}
