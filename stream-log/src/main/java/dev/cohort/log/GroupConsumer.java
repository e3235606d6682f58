package dev.cohort.log;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A member of a consumer group, like Kafka's {@code KafkaConsumer} with {@code subscribe}: it
 * joins, heartbeats in the background, follows rebalances, and {@link #poll} fetches from its
 * assigned partitions starting at the committed offsets (or {@code auto.offset.reset}).
 *
 * <p>Delivery is at-least-once: with {@code enable.auto.commit=false} call {@link #commitSync()}
 * after processing what {@code poll} returned. Not for concurrent use: call {@code poll} and the
 * commit methods from one thread (or one stream) at a time; heartbeats run independently.
 */
public interface GroupConsumer extends AutoCloseable {

  /** Records from the assigned partitions, waiting up to {@code timeout} for some to arrive. */
  CompletionStage<List<ConsumerRecord>> poll(Duration timeout);

  /** Commits the positions after the records returned so far, and waits for the commit. */
  CompletionStage<Done> commitSync();

  /** Commits the given offsets (the next offset to consume per partition). */
  CompletionStage<Done> commit(Map<TopicPartition, OffsetAndMetadata> offsets);

  /** The current assignment (empty before the first join completes or when idle). */
  List<TopicPartition> assignment();

  /** The member id, once joined. */
  String memberId();

  /** The generation of the latest assignment. */
  int generation();

  /** Commits (with auto commit on) and leaves the group. */
  @Override
  void close();
}
