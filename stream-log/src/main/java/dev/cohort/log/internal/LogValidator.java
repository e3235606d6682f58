package dev.cohort.log.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.Rejection;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides a produce request against one configured partition (Kafka's {@code LogValidator} with the
 * producer-state analysis of {@code UnifiedLog.append}): validates each batch, checks it against
 * its producer's idempotence state, and assigns offsets and the append time to the batches it
 * accepts.
 *
 * <p>Invariants: batches are decided in request order against the state plus the batches accepted
 * before them in the same request; accepted batches get contiguous offsets from the log end; once a
 * batch is refused the later ones are refused too, so a request never leaves a gap in a producer's
 * sequence; a duplicate is answered with its original offsets and writes nothing. Nothing is
 * changed here: the entity persists the returned events and then applies them. Pure and
 * thread-safe.
 */
final class LogValidator {
  private LogValidator() {}

  /** What to write for a request and what to answer once it is written. */
  record Decision(List<PartitionEntity.Event> events, PartitionEntity.Reply answer) {}

  /** The batches of one request and who sent them ({@code producerId} -1: no idempotence). */
  record Request(
      long producerId,
      int producerEpoch,
      List<Integer> baseSequences,
      List<KafkaBatches.Encoded> batches,
      boolean many) {}

  /**
   * Decides {@code request} at time {@code now} for a partition whose log ends at {@code
   * logEndOffset} and whose state for the request's producer is {@code entry} (null: none). Answers
   * one {@link PartitionEntity.Appended} or {@link PartitionEntity.Rejected} per batch (wrapped in
   * {@link PartitionEntity.AppendedBatches} when the request is {@code many}).
   */
  static Decision validateAndAssignOffsets(
      TopicPartition tp,
      TopicConfig config,
      long logEndOffset,
      PartitionEntity.ProducerEntry entry,
      Request request,
      long now) {
    boolean logAppendTime = config.timestampType() == TopicConfig.TimestampType.LOG_APPEND_TIME;
    long appendTime = logAppendTime ? now : -1;
    long producerId = request.producerId();
    long nextOffset = logEndOffset;
    List<PartitionEntity.Event> events = new ArrayList<>();
    List<PartitionEntity.Reply> results = new ArrayList<>();
    PartitionEntity.Rejected refused = null;
    for (int i = 0; i < request.batches().size(); i++) {
      KafkaBatches.Encoded batch = request.batches().get(i);
      int baseSequence = request.baseSequences().get(i);
      if (refused != null) {
        results.add(afterRefusal(refused));
        continue;
      }
      Rejection invalid = validateBatch(tp, config, batch);
      if (invalid == null && producerId >= 0) {
        switch (ProducerStateManager.check(
            tp, entry, producerId, request.producerEpoch(), baseSequence, batch.recordCount())) {
          case ProducerStateManager.Duplicate d -> {
            results.add(
                new PartitionEntity.Appended(d.batch().baseOffset(), d.batch().appendTime(), true));
            continue;
          }
          case ProducerStateManager.Refuse r -> invalid = r.rejection();
          case ProducerStateManager.Accept a -> {}
        }
      }
      if (invalid != null) {
        refused = new PartitionEntity.Rejected(invalid);
        results.add(refused);
        continue;
      }
      PartitionEntity.BatchAppendedV2 event =
          new PartitionEntity.BatchAppendedV2(
              KafkaBatches.stored(batch, nextOffset, appendTime),
              producerId,
              request.producerEpoch(),
              baseSequence,
              now);
      nextOffset += batch.recordCount();
      if (producerId >= 0) {
        entry = ProducerStateManager.after(entry, event);
      }
      events.add(event);
      results.add(new PartitionEntity.Appended(event.batch().baseOffset(), appendTime, false));
    }
    PartitionEntity.Reply answer =
        request.many()
            ? new PartitionEntity.AppendedBatches(List.copyOf(results))
            : results.getFirst();
    return new Decision(List.copyOf(events), answer);
  }

  /** Why {@code batch} cannot be appended to the partition; null when it can. */
  static Rejection validateBatch(
      TopicPartition tp, TopicConfig config, KafkaBatches.Encoded batch) {
    Rejection malformed = KafkaBatches.malformed(batch);
    if (malformed != null) {
      return malformed;
    }
    long size = batch.sizeBytes();
    if (size > config.maxMessageBytes()) {
      return LogError.RECORD_TOO_LARGE.rejection(
          "a batch of "
              + size
              + " bytes is over max.message.bytes = "
              + config.maxMessageBytes()
              + " of topic '"
              + tp.topic()
              + "'");
    }
    if (config.cleanupPolicy().compacts() && batch.anyNullKey()) {
      return LogError.INVALID_RECORD.rejection(
          "topic '" + tp.topic() + "' is compacted: every record needs a key");
    }
    return null;
  }

  private static PartitionEntity.Rejected afterRefusal(PartitionEntity.Rejected refused) {
    return new PartitionEntity.Rejected(
        LogError.OUT_OF_ORDER_SEQUENCE.rejection(
            "an earlier batch of the same request was refused: " + refused.rejection().message()));
  }
}
