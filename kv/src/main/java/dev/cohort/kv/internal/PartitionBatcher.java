package dev.cohort.kv.internal;

import dev.cohort.kv.KvSettings;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Groups this node's writes per partition: at most one {@link KvPartition.Batch} per partition is
 * in flight from this node; writes submitted meanwhile wait and go together in the next batch, so
 * that a partition under load writes many events per journal write. A batch that fails, or is not
 * answered within {@code batch.release-after}, releases the partition: its writers' own asks still
 * get the partition's answer, or time out and report {@code timeout}.
 *
 * <p>One per node. Local only: its messages never cross the wire.
 */
public final class PartitionBatcher extends AbstractBehavior<PartitionBatcher.Command> {

  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Sends {@code write} to partition entity {@code entityId} in its next batch. */
  public record Submit(String entityId, KvPartition.WriteCommand write) implements Command {}

  private record Finished(String entityId, Throwable failure) implements Command {}

  public static Behavior<Command> create(KvSettings settings) {
    return Behaviors.setup(context -> new PartitionBatcher(context, settings));
  }

  private final KvSettings settings;
  private final ClusterSharding sharding;
  /** Writes waiting per partition whose batch is in flight; a key present means in flight. */
  private final Map<String, ArrayDeque<KvPartition.WriteCommand>> inFlight = new HashMap<>();

  private PartitionBatcher(ActorContext<Command> context, KvSettings settings) {
    super(context);
    this.settings = settings;
    this.sharding = ClusterSharding.get(context.getSystem());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Finished.class, this::onFinished)
        .build();
  }

  private Behavior<Command> onSubmit(Submit submit) {
    ArrayDeque<KvPartition.WriteCommand> waiting = inFlight.get(submit.entityId());
    if (waiting == null) {
      inFlight.put(submit.entityId(), new ArrayDeque<>());
      send(submit.entityId(), List.of(submit.write()));
    } else {
      waiting.add(submit.write());
    }
    return this;
  }

  private Behavior<Command> onFinished(Finished finished) {
    if (finished.failure() instanceof java.util.concurrent.TimeoutException) {
      getContext()
          .getLog()
          .debug("kv batch to {} unanswered after release-after; sending the next", finished.entityId());
    } else if (finished.failure() != null) {
      getContext()
          .getLog()
          .warn("kv batch to {} failed: {}", finished.entityId(), finished.failure().toString());
    }
    ArrayDeque<KvPartition.WriteCommand> waiting = inFlight.get(finished.entityId());
    if (waiting == null || waiting.isEmpty()) {
      inFlight.remove(finished.entityId());
      return this;
    }
    int n = Math.min(waiting.size(), settings.batchMaxCommands());
    List<KvPartition.WriteCommand> next = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      next.add(waiting.poll());
    }
    send(finished.entityId(), List.copyOf(next));
    return this;
  }

  private void send(String entityId, List<KvPartition.WriteCommand> writes) {
    getContext()
        .ask(
            KvPartition.BatchDone.class,
            sharding.entityRefFor(KvPartition.ENTITY_TYPE_KEY, entityId),
            settings.batchReleaseAfter(),
            replyTo -> new KvPartition.Batch(writes, replyTo),
            (done, failure) -> new Finished(entityId, failure));
  }
}
