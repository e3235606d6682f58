package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicPartition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A produce request decided batch by batch: validation, producer state, offsets, append time. */
class LogValidatorTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final TopicConfig CONFIG =
      new TopicConfig(
          -1,
          -1,
          TopicConfig.CleanupPolicy.DELETE,
          TopicConfig.CompressionType.PRODUCER,
          300,
          TopicConfig.TimestampType.CREATE_TIME,
          1,
          1000,
          0.5);

  private static LogValidator.Request request(
      long producerId, List<Integer> sequences, List<KafkaBatches.Encoded> batches) {
    return new LogValidator.Request(producerId, 0, sequences, batches, true);
  }

  private static KafkaBatches.Encoded encoded(String... keys) {
    return TestBatches.encoded(1, keys);
  }

  private static List<PartitionEntity.Reply> results(LogValidator.Decision decision) {
    return ((PartitionEntity.AppendedBatches) decision.answer()).results();
  }

  private static String code(PartitionEntity.Reply reply) {
    return assertInstanceOf(PartitionEntity.Rejected.class, reply).rejection().code();
  }

  @Test
  void acceptedBatchesGetContiguousOffsetsFromTheLogEnd() {
    var decision =
        LogValidator.validateAndAssignOffsets(
            TP,
            CONFIG,
            10,
            null,
            request(7, List.of(0, 2), List.of(encoded("a", "b"), encoded("c"))),
            5000);
    assertEquals(2, decision.events().size());
    var first = assertInstanceOf(PartitionEntity.Appended.class, results(decision).get(0));
    var second = assertInstanceOf(PartitionEntity.Appended.class, results(decision).get(1));
    assertEquals(List.of(10L, 12L), List.of(first.baseOffset(), second.baseOffset()));
    assertEquals(-1, first.logAppendTime(), "CreateTime topics keep the producer's timestamps");
    var event = (PartitionEntity.BatchAppendedV2) decision.events().get(1);
    assertEquals(12, event.batch().baseOffset());
    assertEquals(5000, event.appendedAt());
  }

  @Test
  void afterARefusedBatchTheRestOfTheRequestIsRefusedAndNotWritten() {
    KafkaBatches.Encoded tooLarge = encoded("x".repeat(400));
    var decision =
        LogValidator.validateAndAssignOffsets(
            TP,
            CONFIG,
            0,
            null,
            request(7, List.of(0, 1, 2), List.of(encoded("a"), tooLarge, encoded("c"))),
            0);
    assertEquals(1, decision.events().size());
    assertEquals("record_too_large", code(results(decision).get(1)));
    assertEquals("out_of_order_sequence", code(results(decision).get(2)));
  }

  @Test
  void aRetriedBatchInTheSameRequestIsADuplicate() {
    KafkaBatches.Encoded batch = encoded("a");
    var decision =
        LogValidator.validateAndAssignOffsets(
            TP, CONFIG, 0, null, request(7, List.of(0, 0), List.of(batch, batch)), 0);
    assertEquals(1, decision.events().size());
    var retried = assertInstanceOf(PartitionEntity.Appended.class, results(decision).get(1));
    assertTrue(retried.duplicate());
    assertEquals(0, retried.baseOffset());
  }

  @Test
  void logAppendTimeTopicsStampTheBatchAndCompactedTopicsNeedKeys() {
    TopicConfig appendTime =
        CONFIG.with(Map.of("message.timestamp.type", "LogAppendTime", "cleanup.policy", "compact"));
    var stamped =
        LogValidator.validateAndAssignOffsets(
            TP, appendTime, 0, null, request(-1, List.of(0), List.of(encoded("a"))), 777);
    assertEquals(777, ((PartitionEntity.Appended) results(stamped).getFirst()).logAppendTime());
    var keyless =
        LogValidator.validateAndAssignOffsets(
            TP, appendTime, 0, null, request(-1, List.of(0), List.of(encoded((String) null))), 0);
    assertEquals("invalid_record", code(results(keyless).getFirst()));
    assertTrue(keyless.events().isEmpty());
  }
}
