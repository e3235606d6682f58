package dev.cohort.log.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.AskFailures;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * How the embedded API's clients reach stream-log's three entity types through Cluster Sharding:
 * their entity refs, the ask, and the one translation of a failed ask into a {@link LogException}.
 *
 * <p>Invariants: every failure a client sees is a {@link LogException} — a refusal keeps its
 * entity's code, an ask without answer in time is {@code request_timeout}, anything else is {@code
 * not_ready}. Timeouts come from {@code cohort.log}, never literals. Stateless apart from the
 * sharding extension; thread-safe.
 */
final class EntityAsks {
  private final ActorSystem<?> system;
  private final LogSettings settings;
  private final ClusterSharding sharding;

  EntityAsks(ActorSystem<?> system, LogSettings settings) {
    this.system = system;
    this.settings = settings;
    this.sharding = ClusterSharding.get(system);
  }

  ActorSystem<?> system() {
    return system;
  }

  LogSettings settings() {
    return settings;
  }

  EntityRef<TopicRegistry.Command> registry() {
    return sharding.entityRefFor(TopicRegistry.ENTITY_TYPE_KEY, TopicRegistry.ENTITY_ID);
  }

  EntityRef<PartitionEntity.Command> partition(TopicPartition tp) {
    return sharding.entityRefFor(
        PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(tp.topic(), tp.partition()));
  }

  EntityRef<GroupCoordinator.Command> group(String groupId) {
    return sharding.entityRefFor(GroupCoordinator.ENTITY_TYPE_KEY, groupId);
  }

  /** Asks {@code ref}; a failed ask fails the future with a {@link LogException}. */
  <C, R> CompletableFuture<R> ask(
      EntityRef<C> ref, Function<ActorRef<R>, C> command, Duration timeout) {
    return ref.ask(command::apply, timeout)
        .toCompletableFuture()
        .exceptionallyCompose(
            failure -> CompletableFuture.failedFuture(translate(failure, ref.getEntityId())));
  }

  /** Asks the topic registry with {@code ask-timeout}. */
  CompletableFuture<TopicRegistry.Reply> askRegistry(
      Function<ActorRef<TopicRegistry.Reply>, TopicRegistry.Command> command) {
    return ask(registry(), command, settings.askTimeout());
  }

  /** Asks a partition entity. */
  CompletableFuture<PartitionEntity.Reply> askPartition(
      TopicPartition tp,
      Function<ActorRef<PartitionEntity.Reply>, PartitionEntity.Command> command,
      Duration timeout) {
    return ask(partition(tp), command, timeout);
  }

  private static final AskFailures.Vocabulary<LogException> FAILURES =
      new AskFailures.Vocabulary<>(
          LogException.class, LogException::new, LogError.REQUEST_TIMEOUT, LogError.NOT_READY);

  /** {@code failure} as a {@link LogException}; {@code what} names who did not answer. */
  static LogException translate(Throwable failure, String what) {
    return FAILURES.translate(failure, what);
  }

  /** Whether an entity answered with a refusal, not a timeout or an outage. */
  static boolean isRejection(Throwable failure) {
    return unwrap(failure) instanceof LogException e
        && e.kind() != ErrorKind.TIMEOUT
        && e.kind() != ErrorKind.UNAVAILABLE;
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  static <T> CompletableFuture<T> failed(Rejection rejection) {
    return CompletableFuture.failedFuture(LogException.of(rejection));
  }

  static <T> CompletableFuture<T> failed(LogError code, String message) {
    return CompletableFuture.failedFuture(code.exception(message));
  }

  /** One future of every result, in order, once all completed. */
  static <T> CompletableFuture<List<T>> sequence(List<CompletableFuture<T>> all) {
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
  }
}
