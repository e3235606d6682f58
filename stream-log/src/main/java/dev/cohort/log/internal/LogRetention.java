package dev.cohort.log.internal;

import dev.cohort.log.TopicConfig;

/**
 * Retention by time and size ({@code retention.ms}, {@code retention.bytes} under {@code
 * cleanup.policy=delete}; Kafka's {@code UnifiedLog.deleteOldSegments}): where a partition's log
 * should start now.
 *
 * <p>Invariants: only whole batches are removed, oldest first, and only while the oldest batch is
 * older than {@code retention.ms} or the log holds more than {@code retention.bytes}; the log start
 * never moves back. A policy without {@code delete} never truncates. Pure and thread-safe; the
 * entity journals the answer as {@code LogTruncated}.
 */
final class LogRetention {
  private LogRetention() {}

  /**
   * The offset the log should start at after retention at time {@code now} (epoch milliseconds);
   * {@code log.logStartOffset()} when nothing is due.
   */
  static long newLogStart(PartitionLog log, TopicConfig config, long now) {
    long newStart = log.logStartOffset();
    if (!config.cleanupPolicy().deletes()) {
      return newStart;
    }
    long remaining = log.sizeBytes();
    for (int i = 0; i < log.batchCount(); i++) {
      KafkaBatch b = log.batch(i);
      boolean expired =
          config.retentionMs() >= 0 && b.retentionTimestamp() < now - config.retentionMs();
      boolean oversize = config.retentionBytes() >= 0 && remaining > config.retentionBytes();
      if (!expired && !oversize) {
        break;
      }
      remaining -= b.sizeBytes();
      newStart = b.lastOffset() + 1;
    }
    return newStart;
  }
}
