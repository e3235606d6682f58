package dev.cohort.log.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.Rejection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The idempotence state of one partition's producers (Kafka's {@code ProducerStateManager}): per
 * producer id its epoch, its last {@link #PRODUCER_WINDOW} batches (sequence range, offset, append
 * time) and when it last appended.
 *
 * <p>Invariants: an entry changes only through an appended batch of its producer ({@link #apply}),
 * its expiry or a cleared log; a batch of a newer epoch starts the entry over; a batch is accepted
 * only at the next sequence of its producer's epoch (0 for a new epoch or an unknown producer), a
 * batch equal to one of the last {@link #PRODUCER_WINDOW} is a duplicate answered with its original
 * offsets, and an older epoch is fenced. The entries are journaled with every batch ({@code
 * BatchAppendedV2}) and kept in snapshots as {@link PartitionEntity.ProducerEntry} records.
 *
 * <p>Thread-safety: mutable, confined to the partition entity's actor; entries are immutable.
 */
final class ProducerStateManager {
  /** Idempotence keeps the last batches of each producer, like Kafka (max in-flight 5). */
  static final int PRODUCER_WINDOW = 5;

  /** What the state says about one batch of a producer. */
  sealed interface Check {}

  /** The batch is the next one: write it. */
  enum Accept implements Check {
    INSTANCE
  }

  /** The batch was written before: answer with its original offsets, write nothing. */
  record Duplicate(PartitionEntity.ProducerBatch batch) implements Check {}

  /** The batch must not be written. */
  record Refuse(Rejection rejection) implements Check {}

  private final Map<Long, PartitionEntity.ProducerEntry> producers = new HashMap<>();

  /** The manager holding a snapshot's entries. */
  static ProducerStateManager restore(Map<Long, PartitionEntity.ProducerEntry> entries) {
    ProducerStateManager manager = new ProducerStateManager();
    manager.producers.putAll(entries);
    return manager;
  }

  /** The producer's entry, or null when the partition has none. */
  PartitionEntity.ProducerEntry entry(long producerId) {
    return producers.get(producerId);
  }

  /** An immutable copy of every entry, for a snapshot. */
  Map<Long, PartitionEntity.ProducerEntry> snapshot() {
    return Map.copyOf(producers);
  }

  /** Records an appended batch ({@code producerId} -1: a producer without idempotence). */
  void apply(PartitionEntity.BatchAppendedV2 event) {
    if (event.producerId() >= 0) {
      producers.put(event.producerId(), after(producers.get(event.producerId()), event));
    }
  }

  /** Drops the entries of expired producers. */
  void expire(List<Long> producerIds) {
    producerIds.forEach(producers::remove);
  }

  /** The producers whose last append was before {@code cutoff} (epoch milliseconds). */
  List<Long> silentSince(long cutoff) {
    List<Long> expired = new ArrayList<>();
    producers.forEach(
        (id, entry) -> {
          if (entry.lastAppendedAt() < cutoff) {
            expired.add(id);
          }
        });
    return List.copyOf(expired);
  }

  /** The entry after {@code event} (a batch of this producer) was appended to {@code entry}. */
  static PartitionEntity.ProducerEntry after(
      PartitionEntity.ProducerEntry entry, PartitionEntity.BatchAppendedV2 event) {
    KafkaBatch b = event.batch();
    List<PartitionEntity.ProducerBatch> recent =
        entry == null || entry.epoch() != event.producerEpoch()
            ? new ArrayList<>()
            : new ArrayList<>(entry.recent());
    recent.add(
        new PartitionEntity.ProducerBatch(
            event.baseSequence(),
            event.baseSequence() + b.recordCount() - 1,
            b.baseOffset(),
            b.logAppendTime()));
    while (recent.size() > PRODUCER_WINDOW) {
      recent.removeFirst();
    }
    return new PartitionEntity.ProducerEntry(
        event.producerEpoch(), List.copyOf(recent), event.appendedAt());
  }

  /**
   * Checks one batch of {@code recordCount} records from sequence {@code baseSequence} against the
   * producer's {@code entry} (null: none here): the epoch, then duplicates, then the sequence.
   */
  static Check check(
      TopicPartition tp,
      PartitionEntity.ProducerEntry entry,
      long producerId,
      int producerEpoch,
      int baseSequence,
      int recordCount) {
    if (entry != null && producerEpoch < entry.epoch()) {
      return new Refuse(
          LogError.INVALID_PRODUCER_EPOCH.rejection(
              "producer "
                  + producerId
                  + " epoch "
                  + producerEpoch
                  + " is older than "
                  + entry.epoch()));
    }
    boolean sameEpoch = entry != null && producerEpoch == entry.epoch();
    int last = baseSequence + recordCount - 1;
    PartitionEntity.ProducerBatch duplicate = sameEpoch ? find(entry, baseSequence, last) : null;
    if (duplicate != null) {
      return new Duplicate(duplicate);
    }
    int expected = sameEpoch ? lastSequence(entry) + 1 : 0;
    if (entry == null && baseSequence != 0) {
      // Its state expired (or was never here): the producer must start a new epoch.
      return new Refuse(
          LogError.UNKNOWN_PRODUCER_ID.rejection(
              "partition "
                  + tp
                  + " has no state for producer "
                  + producerId
                  + "; start a new epoch at sequence 0"));
    }
    if (baseSequence != expected) {
      return new Refuse(
          LogError.OUT_OF_ORDER_SEQUENCE.rejection(
              "producer "
                  + producerId
                  + " sent sequence "
                  + baseSequence
                  + " to "
                  + tp
                  + "; expected "
                  + expected));
    }
    return Accept.INSTANCE;
  }

  private static int lastSequence(PartitionEntity.ProducerEntry entry) {
    return entry.recent().isEmpty() ? -1 : entry.recent().getLast().lastSequence();
  }

  private static PartitionEntity.ProducerBatch find(
      PartitionEntity.ProducerEntry entry, int first, int last) {
    for (PartitionEntity.ProducerBatch b : entry.recent()) {
      if (b.firstSequence() == first && b.lastSequence() == last) {
        return b;
      }
    }
    return null;
  }
}
