package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.TopicConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Compaction's output and when it is due. */
class LogCleanerTest {
  private static final TopicConfig COMPACTED =
      new TopicConfig(
          -1,
          -1,
          TopicConfig.CleanupPolicy.COMPACT,
          TopicConfig.CompressionType.PRODUCER,
          1 << 20,
          TopicConfig.TimestampType.CREATE_TIME,
          1,
          1000,
          0.5);

  private static List<String> offsetsAndKeys(List<KafkaBatch> batches) {
    List<String> out = new ArrayList<>();
    for (KafkaBatch b : batches) {
      b.view().ensureValid();
      for (var r : KafkaBatches.decode("t", 0, b, 0, Integer.MAX_VALUE)) {
        String value = r.value() == null ? "null" : r.valueString();
        out.add(r.offset() + ":" + r.keyString() + "=" + value);
      }
    }
    return out;
  }

  @Test
  void keepsTheLatestRecordPerKeyAtItsOffset() {
    List<KafkaBatch> batches =
        List.of(
            TestBatches.stored(0, 100, "a", "1", "b", "1"),
            TestBatches.stored(2, 100, "a", "2", "c", "1"),
            TestBatches.stored(4, 100, "c", "2"));
    LogCleaner.Cleaned cleaned = LogCleaner.compact(batches, 5, 1000, 500);
    assertEquals(List.of("1:b=1", "2:a=2", "4:c=2"), offsetsAndKeys(cleaned.replacement()));
    assertEquals(5, cleaned.cleanedUpTo());
    assertEquals(3, cleaned.replacement().size(), "no batch lost every record");
    assertEquals(batches.get(2), cleaned.replacement().get(2), "an untouched batch is kept as is");
    assertEquals(1, cleaned.replacement().get(0).lastOffset(), "offsets never change");
  }

  @Test
  void tombstonesStayUntilDeleteRetentionThenGo() {
    List<KafkaBatch> batches =
        List.of(TestBatches.stored(0, 100, "a", "1"), TestBatches.stored(1, 200, "a", null));
    LogCleaner.Cleaned young = LogCleaner.compact(batches, 2, 1000, 500);
    assertEquals(List.of("1:a=null"), offsetsAndKeys(young.replacement()));
    assertEquals(1200, young.tombstonesExpireAt());
    LogCleaner.Cleaned old = LogCleaner.compact(batches, 2, 1000, 1200);
    assertEquals(List.of(), old.replacement(), "batches left empty are dropped");
    assertEquals(Long.MAX_VALUE, old.tombstonesExpireAt());
  }

  @Test
  void dueWhenDirtyEnoughOrATombstoneExpired() {
    LogCleaner cleaner = new LogCleaner(Runnable::run);
    PartitionLog log = new PartitionLog();
    assertFalse(cleaner.due(log, COMPACTED, 0), "an empty log has nothing to clean");
    log.append(TestBatches.stored(0, 100, "a", "1"));
    assertTrue(cleaner.due(log, COMPACTED, 0));
    assertFalse(cleaner.due(log, COMPACTED.with(Map.of("cleanup.policy", "delete")), 0));
    var running = cleaner.start(log, COMPACTED, 0);
    assertFalse(cleaner.due(log, COMPACTED, 0), "one compaction at a time");
    LogCleaner.Cleaned cleaned = running.join();
    cleaner.finished();
    log.compacted(cleaned.cleanedUpTo(), cleaned.replacement(), 700);
    assertFalse(cleaner.due(log, COMPACTED, 699), "clean, and no tombstone expired yet");
    assertTrue(cleaner.due(log, COMPACTED, 700));
  }
}
