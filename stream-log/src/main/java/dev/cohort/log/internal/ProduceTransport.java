package dev.cohort.log.internal;

import dev.cohort.log.TopicPartition;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How a producer reaches a partition entity: one request and its answer (or a failure after {@code
 * timeout}). The real transport asks through Cluster Sharding; tests wrap it to drop, duplicate or
 * reorder requests and answers. Implementations are thread-safe.
 */
@FunctionalInterface
public interface ProduceTransport {
  CompletionStage<PartitionEntity.Reply> produce(
      TopicPartition partition,
      Function<ActorRef<PartitionEntity.Reply>, PartitionEntity.Command> command,
      Duration timeout);
}
