package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-memory log: offsets, sizes, reads, truncation and compaction results. */
class PartitionLogTest {

  /** {@code count} batches of two records each, offsets 0..2*count-1. */
  private static PartitionLog log(int count) {
    PartitionLog log = new PartitionLog();
    for (int i = 0; i < count; i++) {
      log.append(TestBatches.stored(i * 2L, 100, "k" + i, "a", "k" + i, "b"));
    }
    return log;
  }

  @Test
  void appendsMoveTheLogEndAndCountBytesAsDirty() {
    PartitionLog log = log(3);
    assertEquals(6, log.logEndOffset());
    assertEquals(3, log.batchCount());
    long size = log.batch(0).sizeBytes() * 3;
    assertEquals(size, log.sizeBytes());
    assertEquals(size, log.dirtyBytes());
    assertTrue(log.inRange(6));
    assertFalse(log.inRange(7));
  }

  @Test
  void readsWholeBatchesFromTheOneHoldingTheOffset() {
    PartitionLog log = log(4);
    assertEquals(2, log.read(3, Long.MAX_VALUE, 100).getFirst().baseOffset());
    assertEquals(3, log.read(3, Long.MAX_VALUE, 100).size());
    assertEquals(1, log.read(0, 1, 100).size(), "at least one batch, whatever maxBytes says");
    assertEquals(2, log.read(0, Long.MAX_VALUE, 3).size(), "stops once maxRecords were taken");
    assertEquals(List.of(), log.read(8, Long.MAX_VALUE, 100));
  }

  @Test
  void truncationRemovesWholeBatchesAndNeverMovesBack() {
    PartitionLog log = log(100);
    long keptBytes = 0;
    for (int i = 75; i < 100; i++) {
      keptBytes += log.batch(i).sizeBytes();
    }
    log.truncate(151);
    assertEquals(151, log.logStartOffset());
    assertEquals(150, log.batch(0).baseOffset(), "the batch holding 151 stays");
    assertEquals(keptBytes, log.sizeBytes());
    assertEquals(keptBytes, log.dirtyBytes());
    log.truncate(10);
    assertEquals(151, log.logStartOffset());
    assertEquals(25, log.batchCount());
  }

  @Test
  void aCompactionResultReplacesTheCleanedBatchesOnly() {
    PartitionLog log = log(3);
    KafkaBatch rewritten = TestBatches.stored(1, 100, "k0", "b");
    log.append(TestBatches.stored(6, 100, "k9", "c"));
    log.compacted(6, List.of(rewritten), 500);
    assertEquals(List.of(1L, 6L), List.of(log.batch(0).baseOffset(), log.batch(1).baseOffset()));
    assertEquals(6, log.cleanedUpTo());
    assertEquals(500, log.tombstonesExpireAt());
    assertEquals(log.batch(1).sizeBytes(), log.dirtyBytes(), "only the batch after the cut");
    assertEquals(7, log.logEndOffset());
  }
}
