package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.cohort.log.TopicPartition;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Epoch, duplicate and sequence checks of idempotent producers, and their expiry. */
class ProducerStateManagerTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final ProducerStateManager.Check ACCEPTED = ProducerStateManager.Accept.INSTANCE;

  private static PartitionEntity.BatchAppendedV2 appended(
      long producerId, int epoch, int baseSequence, long baseOffset, int records, long at) {
    String[] keys = new String[records];
    KafkaBatch batch = TestBatches.stored(TestBatches.encoded(1, keys), baseOffset);
    return new PartitionEntity.BatchAppendedV2(batch, producerId, epoch, baseSequence, at);
  }

  private static ProducerStateManager.Check check(
      PartitionEntity.ProducerEntry entry, int epoch, int baseSequence, int records) {
    return ProducerStateManager.check(TP, entry, 7, epoch, baseSequence, records);
  }

  private static String refused(ProducerStateManager.Check check) {
    return assertInstanceOf(ProducerStateManager.Refuse.class, check).rejection().code();
  }

  @Test
  void aNewProducerStartsAtSequenceZero() {
    assertEquals(ACCEPTED, check(null, 0, 0, 3));
    assertEquals("unknown_producer_id", refused(check(null, 0, 4, 1)));
  }

  @Test
  void theNextSequenceIsAcceptedAndAGapRefused() {
    var entry = ProducerStateManager.after(null, appended(7, 0, 0, 0, 3, 10));
    assertEquals(ACCEPTED, check(entry, 0, 3, 2));
    assertEquals("out_of_order_sequence", refused(check(entry, 0, 5, 1)));
  }

  @Test
  void aDuplicateWithinTheWindowIsAnsweredWithItsOffsets() {
    ProducerStateManager state = new ProducerStateManager();
    for (int i = 0; i < ProducerStateManager.PRODUCER_WINDOW + 1; i++) {
      state.apply(appended(7, 0, i * 2, 100 + i * 2, 2, 10));
    }
    var entry = state.entry(7);
    assertEquals(ProducerStateManager.PRODUCER_WINDOW, entry.recent().size());
    var duplicate = assertInstanceOf(ProducerStateManager.Duplicate.class, check(entry, 0, 2, 2));
    assertEquals(102, duplicate.batch().baseOffset());
    // The first batch fell out of the window: no longer recognised, and not the next sequence.
    assertEquals("out_of_order_sequence", refused(check(entry, 0, 0, 2)));
  }

  @Test
  void anOlderEpochIsFencedAndANewerOneStartsOver() {
    ProducerStateManager state = new ProducerStateManager();
    state.apply(appended(7, 1, 0, 0, 2, 10));
    var entry = state.entry(7);
    assertEquals("invalid_producer_epoch", refused(check(entry, 0, 2, 1)));
    assertEquals(ACCEPTED, check(entry, 2, 0, 1));
    assertEquals("out_of_order_sequence", refused(check(entry, 2, 2, 1)));
    state.apply(appended(7, 2, 0, 2, 1, 20));
    assertEquals(2, state.entry(7).epoch());
    assertEquals(1, state.entry(7).recent().size(), "a new epoch forgets the old batches");
  }

  @Test
  void producersSilentSinceTheCutoffExpire() {
    ProducerStateManager state = new ProducerStateManager();
    state.apply(appended(7, 0, 0, 0, 1, 10));
    state.apply(appended(8, 0, 0, 1, 1, 50));
    state.apply(appended(-1, 0, 0, 2, 1, 5));
    assertEquals(List.of(7L), state.silentSince(20));
    state.expire(state.silentSince(20));
    assertNull(state.entry(7));
    assertEquals(1, ProducerStateManager.restore(state.snapshot()).snapshot().size());
  }
}
