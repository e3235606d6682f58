package dev.cohort.saga.internal;

import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvException;
import dev.cohort.log.LogException;
import dev.cohort.log.StreamLog;
import dev.cohort.persistence.AskFailures;
import dev.cohort.persistence.AskStages;
import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.saga.ProjectionDefinition;
import dev.cohort.saga.ProjectionStatus;
import dev.cohort.saga.Projections;
import dev.cohort.saga.SagaError;
import dev.cohort.saga.SagaException;
import dev.cohort.saga.SagaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link Projections}: validates a definition completely (fields, source topic, sink
 * keyspace) before anything is stored, then asks the entities. Starts every node's waker, which
 * keeps registered projections running after restarts, passivation and node changes. Thread-safe.
 */
public final class ProjectionsImpl implements Projections {
  private static final Logger LOG = LoggerFactory.getLogger(ProjectionsImpl.class);

  private final Kv kv;
  private final StreamLog log;
  private final ProjectionSettings settings;
  private final ClusterSharding sharding;

  /** Where ask answers complete (see {@link AskStages}). */
  private final Executor answers;

  private ProjectionsImpl(
      Kv kv,
      StreamLog log,
      ProjectionSettings settings,
      ClusterSharding sharding,
      Executor answers) {
    this.kv = kv;
    this.log = log;
    this.settings = settings;
    this.sharding = sharding;
    this.answers = answers;
  }

  static Projections start(ActorSystem<?> system, Kv kv, StreamLog log, SagaSettings saga) {
    ProjectionSettings settings = ProjectionSettings.create(system.settings().config(), saga);
    ClusterSharding sharding = ClusterSharding.get(system);
    ProjectionRunner.Deps deps =
        new ProjectionRunner.Deps(kv, log, settings, new ProjectionMetrics(system), sharding);
    ProjectionEntity.init(system, deps);
    ProjectionRegistryEntity.init(system, settings);
    ProjectionsImpl projections =
        new ProjectionsImpl(kv, log, settings, sharding, system.executionContext());
    Duration first =
        settings.wakeInterval().compareTo(Duration.ofSeconds(2)) < 0
            ? settings.wakeInterval()
            : Duration.ofSeconds(2);
    system
        .scheduler()
        .scheduleWithFixedDelay(
            first, settings.wakeInterval(), projections::wakeAll, system.executionContext());
    return projections;
  }

  @Override
  public CompletionStage<ProjectionStatus> createJson(String name, String json) {
    try {
      return create(ProjectionDefinition.fromJson(name, json));
    } catch (SagaException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletionStage<ProjectionStatus> create(ProjectionDefinition definition) {
    try {
      definition.validate();
    } catch (SagaException e) {
      return CompletableFuture.failedFuture(e);
    }
    return checkTopic(definition)
        .thenCompose(ignored -> ensureSink(definition))
        .thenCompose(
            ignored ->
                askRegistry(
                    replyTo -> new ProjectionRegistryEntity.Register(definition.name(), replyTo)))
        .thenCompose(
            ignored ->
                ask(definition.name(), replyTo -> new ProjectionEntity.Create(definition, replyTo)))
        .thenApply(ProjectionsImpl::status);
  }

  private CompletionStage<Void> checkTopic(ProjectionDefinition d) {
    return log.describeTopic(d.topic())
        .handle(
            (topic, failure) -> {
              if (failure != null) {
                Throwable cause = AskFailures.unwrap(failure);
                if (cause instanceof LogException e && e.kind() == ErrorKind.NOT_FOUND) {
                  throw SagaError.UNKNOWN_TOPIC.exception(
                      "source topic '" + d.topic() + "' does not exist");
                }
                throw dependencyFailure(cause, "the log service");
              }
              return null;
            });
  }

  /** The sink must be a CP keyspace (transactions); a missing one is created. */
  private CompletionStage<Void> ensureSink(ProjectionDefinition d) {
    return kv.keyspace(d.keyspace())
        .handle(
            (info, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(info);
              }
              Throwable cause = AskFailures.unwrap(failure);
              if (cause instanceof KvException e && e.kind() == ErrorKind.NOT_FOUND) {
                return kv.createKeyspace(d.keyspace(), KeyspaceSpec.cp(settings.sinkPartitions()));
              }
              return CompletableFuture.<KeyspaceInfo>failedFuture(cause);
            })
        .thenCompose(Function.identity())
        .handle(
            (info, failure) -> {
              if (failure != null) {
                throw dependencyFailure(failure, "the kv service");
              }
              if (!"cp".equals(info.mode())) {
                throw SagaError.INVALID_SINK.exception(
                    "sink keyspace '"
                        + d.keyspace()
                        + "' is "
                        + info.mode()
                        + "; a projection needs a CP keyspace (its writes are transactions)");
              }
              return null;
            });
  }

  @Override
  public CompletionStage<ProjectionStatus> get(String name) {
    return ask(name, ProjectionEntity.GetStatus::new).thenApply(ProjectionsImpl::status);
  }

  @Override
  public CompletionStage<List<ProjectionStatus>> list() {
    return askRegistry(ProjectionRegistryEntity.ListNames::new)
        .thenCompose(
            names -> {
              List<CompletableFuture<ProjectionStatus>> all = new ArrayList<>();
              for (String name : names.names()) {
                all.add(
                    get(name)
                        .toCompletableFuture()
                        .exceptionally(
                            failure -> {
                              if (AskFailures.unwrap(failure) instanceof SagaException e
                                  && e.is(SagaError.PROJECTION_NOT_FOUND)) {
                                return null;
                              }
                              throw failure instanceof CompletionException c
                                  ? c
                                  : new CompletionException(failure);
                            }));
              }
              return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                  .thenApply(
                      ignored ->
                          all.stream()
                              .map(CompletableFuture::join)
                              .filter(s -> s != null)
                              .toList());
            });
  }

  @Override
  public CompletionStage<ProjectionStatus> rebuild(String name) {
    return ask(name, ProjectionEntity.Rebuild::new).thenApply(ProjectionsImpl::status);
  }

  @Override
  public CompletionStage<ProjectionStatus> stop(String name) {
    return ask(name, ProjectionEntity.StopRunning::new).thenApply(ProjectionsImpl::status);
  }

  @Override
  public CompletionStage<ProjectionStatus> resume(String name) {
    return ask(name, ProjectionEntity.Resume::new).thenApply(ProjectionsImpl::status);
  }

  @Override
  public CompletionStage<Done> delete(String name) {
    return ask(name, ProjectionEntity.Delete::new)
        .thenCompose(
            removed ->
                askRegistry(replyTo -> new ProjectionRegistryEntity.Unregister(name, replyTo)))
        .thenApply(ignored -> Done.getInstance());
  }

  private static ProjectionStatus status(ProjectionEntity.Reply reply) {
    return ((ProjectionEntity.Status) reply).status();
  }

  private CompletionStage<ProjectionEntity.Reply> ask(
      String name, Function<ActorRef<ProjectionEntity.Reply>, ProjectionEntity.Command> message) {
    if (name == null || !ProjectionDefinition.NAME.matcher(name).matches()) {
      return CompletableFuture.failedFuture(
          SagaError.PROJECTION_NOT_FOUND.exception("projection '" + name + "' does not exist"));
    }
    return AskStages.on(
            sharding
                .entityRefFor(ProjectionEntity.ENTITY_TYPE_KEY, name)
                .ask(message::apply, settings.askTimeout()),
            answers)
        .handle(
            (reply, failure) -> EntityReplies.orThrow(reply, failure, "the projection service"));
  }

  private CompletionStage<ProjectionRegistryEntity.Names> askRegistry(
      Function<ActorRef<ProjectionRegistryEntity.Reply>, ProjectionRegistryEntity.Command> m) {
    return AskStages.on(
            sharding
                .entityRefFor(
                    ProjectionRegistryEntity.ENTITY_TYPE_KEY, ProjectionRegistryEntity.ENTITY_ID)
                .ask(m::apply, settings.askTimeout()),
            answers)
        .handle(
            (reply, failure) -> {
              if (failure != null) {
                throw SagaException.from(failure, "the projection service");
              }
              return (ProjectionRegistryEntity.Names) reply;
            });
  }

  /** Wakes every registered projection, so one whose node stopped runs again elsewhere. */
  private void wakeAll() {
    askRegistry(ProjectionRegistryEntity.ListNames::new)
        .whenComplete(
            (names, failure) -> {
              if (failure != null) {
                LOG.debug("projection waker: registry not reachable yet: {}", failure.toString());
                return;
              }
              for (String name : names.names()) {
                sharding
                    .entityRefFor(ProjectionEntity.ENTITY_TYPE_KEY, name)
                    .tell(ProjectionEntity.Wake.INSTANCE);
              }
            });
  }

  /**
   * A failure of the log or kv service while a projection is created, as this API has always
   * reported it (clients match on it): the other service's INVALID errors keep their code, its
   * timeouts are {@code timeout} and every other error of it is {@code unavailable} (a missing
   * topic was already answered with {@code unknown_topic}). {@link SagaException#from} alone would
   * pass the other service's codes through ({@code request_timeout}, {@code keyspace_exists}, …).
   */
  static SagaException dependencyFailure(Throwable failure, String what) {
    Throwable cause = AskFailures.unwrap(failure);
    if (cause instanceof CohortException e
        && !(cause instanceof SagaException)
        && e.kind() != ErrorKind.INVALID) {
      SagaError code = e.kind() == ErrorKind.TIMEOUT ? SagaError.TIMEOUT : SagaError.UNAVAILABLE;
      return new SagaException(
          code.kind(), code.code(), what + " cannot answer: " + e.getMessage(), e);
    }
    return SagaException.from(cause, what);
  }
}
