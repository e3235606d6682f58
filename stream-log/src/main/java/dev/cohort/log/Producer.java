package dev.cohort.log;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A Kafka-like producer: batches records per partition ({@code linger.ms}, {@code batch.size}),
 * retries with backoff, and with {@code enable.idempotence} writes each record exactly once and in
 * send order per partition. Thread-safe.
 */
public interface Producer extends AutoCloseable {

  /**
   * Sends one record; completes with where it was written, or fails with a {@link LogException}
   * ({@code record_too_large}, {@code unknown_topic_or_partition}, {@code delivery_timeout}, …).
   */
  CompletionStage<RecordMetadata> send(ProducerRecord record);

  /** Sends every waiting batch now; completes when all records sent before it have an outcome. */
  CompletionStage<Done> flush();

  /** Flushes and stops the producer. */
  @Override
  void close();
}
