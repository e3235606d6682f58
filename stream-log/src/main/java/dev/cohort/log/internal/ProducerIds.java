package dev.cohort.log.internal;

import dev.cohort.log.ProducerIdAndEpoch;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where idempotent producers get their ids: the embedded {@link ProducerActor} and the clients of
 * {@link dev.cohort.log.StreamLog#initProducerId} alike.
 *
 * <p>Ids are random 63-bit numbers, not allocated by a cluster-wide registry (Kafka's broker
 * allocates them in blocks from its controller): two producers share an id with probability about
 * n²/2⁶⁴, negligible for any realistic number of producers within {@code producer-id-expiration}.
 * Because nothing is registered, an epoch bump is arithmetic; fencing is what each partition
 * enforces against the newest epoch it stored for the id. Thread-safe.
 */
final class ProducerIds {
  private ProducerIds() {}

  /** A fresh producer id (never negative: -1 marks a producer without idempotence). */
  static long newProducerId() {
    return ThreadLocalRandom.current().nextLong(Long.MAX_VALUE);
  }

  /**
   * Kafka's InitProducerId: a new id with epoch 0, or given the caller's current identity the same
   * id with the next epoch (KIP-360), and a new id once the epoch is exhausted.
   */
  static ProducerIdAndEpoch init(ProducerIdAndEpoch current) {
    if (current == null || current.epoch() == Integer.MAX_VALUE) {
      return new ProducerIdAndEpoch(newProducerId(), 0);
    }
    return new ProducerIdAndEpoch(current.producerId(), current.epoch() + 1);
  }
}
