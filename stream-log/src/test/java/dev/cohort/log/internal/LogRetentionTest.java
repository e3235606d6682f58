package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cohort.log.TopicConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where retention by time and size makes a log start. */
class LogRetentionTest {
  private static final TopicConfig DEFAULTS =
      new TopicConfig(
          -1,
          -1,
          TopicConfig.CleanupPolicy.DELETE,
          TopicConfig.CompressionType.PRODUCER,
          1 << 20,
          TopicConfig.TimestampType.CREATE_TIME,
          1,
          1000,
          0.5);

  /** Three batches of two records at times 100, 200 and 300, offsets 0..5. */
  private static PartitionLog log() {
    PartitionLog log = new PartitionLog();
    for (int i = 0; i < 3; i++) {
      log.append(TestBatches.stored(i * 2L, 100L * (i + 1), "a", "1", "b", "2"));
    }
    return log;
  }

  @Test
  void batchesOlderThanRetentionMsGoWhole() {
    TopicConfig config = DEFAULTS.with(Map.of("retention.ms", "150"));
    assertEquals(2, LogRetention.newLogStart(log(), config, 260));
    assertEquals(0, LogRetention.newLogStart(log(), config, 250), "nothing older than 150 ms");
  }

  @Test
  void theOldestBatchesGoWhileTheLogIsOverRetentionBytes() {
    PartitionLog log = log();
    long oneBatch = log.batch(0).sizeBytes();
    TopicConfig config = DEFAULTS.with(Map.of("retention.bytes", String.valueOf(oneBatch + 1)));
    assertEquals(4, LogRetention.newLogStart(log, config, 0));
  }

  @Test
  void aCompactOnlyPolicyNeverTruncates() {
    TopicConfig config = DEFAULTS.with(Map.of("retention.ms", "1", "cleanup.policy", "compact"));
    assertEquals(0, LogRetention.newLogStart(log(), config, 10_000));
  }
}
