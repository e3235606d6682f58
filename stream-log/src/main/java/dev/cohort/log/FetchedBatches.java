package dev.cohort.log;

import java.nio.ByteBuffer;

/**
 * Whole stored record batches read from one partition, as {@link StreamLog#fetchBatches} returns
 * them: {@code records} is a read-only buffer of consecutive Kafka record batches (v2, magic 2)
 * exactly as the partition stores them, ready to be sent as a Kafka fetch response's records (empty
 * when there is nothing from the offset on). The first batch may start before the requested offset
 * (a batch is never split); readers skip the records below it, as Kafka consumers do. The offsets
 * are those of {@link FetchResult}.
 */
public record FetchedBatches(
    ByteBuffer records, long highWatermark, long logStartOffset, long nextOffset) {}
