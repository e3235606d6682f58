package dev.cohort.kv.internal;

import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.persistence.AskStages;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * How the CP service reaches its entities: the sharded refs of the keyspace registry, partitions,
 * lessors and transaction coordinators, and the asks to them.
 *
 * <p>Invariants: a partition write always goes through the node's {@link PartitionBatcher} (so at
 * most one batch per partition is in flight from this node and writes keep their order), while a
 * partition read goes straight to the entity; every ask is bounded, by {@code
 * cohort.kv.ask-timeout} unless the caller names a longer bound. Holds no state. Thread-safe.
 */
final class EntityAsks {
  private final ActorSystem<?> system;
  private final KvSettings settings;
  private final ClusterSharding sharding;
  private final ActorRef<PartitionBatcher.Command> batcher;
  private final PartitionHomes homes;

  EntityAsks(
      ActorSystem<?> system,
      KvSettings settings,
      ActorRef<PartitionBatcher.Command> batcher,
      PartitionHomes homes) {
    this.system = system;
    this.settings = settings;
    this.sharding = ClusterSharding.get(system);
    this.batcher = batcher;
    this.homes = homes;
  }

  <Req, R> CompletionStage<R> ask(
      RecipientRef<Req> target, Function<ActorRef<R>, Req> message, Duration timeout) {
    return AskStages.on(
        AskPattern.ask(target, message::apply, timeout, system.scheduler()),
        system.executionContext());
  }

  /** Asks {@code target} within {@code cohort.kv.ask-timeout}. */
  <Req, R> CompletionStage<R> ask(RecipientRef<Req> target, Function<ActorRef<R>, Req> message) {
    return ask(target, message, settings.askTimeout());
  }

  EntityRef<KvPartition.Command> partition(String entityId) {
    return sharding.entityRefFor(KvPartition.ENTITY_TYPE_KEY, entityId);
  }

  /** The lessor that holds {@code lease}. */
  EntityRef<KvLessor.Command> lessorOf(long lease) {
    return lessor(KvLessor.entityIdOf(lease, settings.lessors()));
  }

  EntityRef<KvLessor.Command> lessor(String entityId) {
    return sharding.entityRefFor(KvLessor.ENTITY_TYPE_KEY, entityId);
  }

  EntityRef<KeyspaceRegistry.Command> registry() {
    return sharding.entityRefFor(KeyspaceRegistry.ENTITY_TYPE_KEY, KeyspaceRegistry.ENTITY_ID);
  }

  EntityRef<TxnCoordinator.Command> coordinator(String txnId) {
    return sharding.entityRefFor(TxnCoordinator.ENTITY_TYPE_KEY, txnId);
  }

  /** Sends a write through the batcher; the partition answers the ask directly. */
  CompletionStage<KvPartition.Reply> write(
      String entityId, Function<ActorRef<KvPartition.Reply>, KvPartition.WriteCommand> command) {
    return ask(batcher, replyTo -> new PartitionBatcher.Submit(entityId, command.apply(replyTo)));
  }

  /**
   * Sends a command straight to the partition (reads, and commands the batcher does not take); when
   * the partition's node is unreachable ({@link PartitionHomes}) it is refused at once with {@code
   * partition_unreachable} instead of being sent there to be lost.
   */
  CompletionStage<KvPartition.Reply> read(
      String entityId, Function<ActorRef<KvPartition.Reply>, KvPartition.Command> command) {
    if (homes.unreachable(entityId)) {
      return CompletableFuture.completedFuture(
          new KvPartition.Rejected(
              KvError.PARTITION_UNREACHABLE.rejection(
                  "the node holding partition "
                      + entityId
                      + " is unreachable; retry (the partition moves once the node is downed)")));
    }
    return ask(partition(entityId), command);
  }

  /** The reply as {@code type}, or the failure its rejection names. */
  static <T extends KvPartition.Reply> T expect(KvPartition.Reply reply, Class<T> type) {
    if (reply instanceof KvPartition.Rejected r) {
      throw KvException.of(r.rejection());
    }
    return type.cast(reply);
  }

  /** Every stage's value, in order, once all completed; fails when one fails. */
  static <T> CompletionStage<List<T>> all(List<CompletionStage<T>> stages) {
    CompletableFuture<?>[] futures =
        stages.stream().map(CompletionStage::toCompletableFuture).toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(futures)
        .thenApply(v -> stages.stream().map(s -> s.toCompletableFuture().join()).toList());
  }
}
