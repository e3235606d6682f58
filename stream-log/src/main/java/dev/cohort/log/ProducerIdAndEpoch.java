package dev.cohort.log;

/**
 * An idempotent producer's identity, as Kafka's InitProducerId answers it: the id under which
 * partitions keep the producer's last batches, and the epoch that fences older incarnations. A
 * partition refuses a batch whose epoch is older than the newest it stored for the id ({@code
 * invalid_producer_epoch}); a newer epoch restarts that partition's sequence at 0.
 */
public record ProducerIdAndEpoch(long producerId, int epoch) {

  public ProducerIdAndEpoch {
    if (producerId < 0) {
      throw new IllegalArgumentException("producer id must be >= 0, got " + producerId);
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("producer epoch must be >= 0, got " + epoch);
    }
  }
}
